"""The knobs the locustfile exercises use: POST /login with bearer tokens, and bad answers on purpose."""

from __future__ import annotations

import json

import httpx
import pytest
from model_api_helpers import TUTORIAL_HOUSE

from labs.model_api.config import Config, ConfigError
from labs.model_api.routes.login import issue_token, token_is_valid


def test_tokens_are_valid_only_under_the_seed_that_issued_them():
    """A token verifies under its own seed; a changed MAC, a bare nonce or another seed's token does not."""
    token = issue_token(7)
    assert token_is_valid(token, 7)
    assert not token_is_valid(token, 8)
    nonce, _, mac = token.partition(".")
    assert not token_is_valid(f"{nonce}.{'0' * len(mac)}", 7)
    assert not token_is_valid(nonce, 7)
    assert not token_is_valid("", 7)
    assert issue_token(7) != token  # a fresh nonce each time


def test_bad_answer_every_is_validated_and_described():
    """--bad-answer-every takes 0..1,000,000 and shows in the start-up line with --require-token."""
    with pytest.raises(ConfigError, match="--bad-answer-every must be in 0..1000000"):
        Config.from_args(["--bad-answer-every", "-1"], env={})
    line = Config.from_args(["--bad-answer-every", "4", "--require-token"], env={}).describe()
    assert "bad_answer_every=4" in line and "require_token=on" in line
    assert "bad_answer_every=off require_token=off" in Config().describe()


@pytest.mark.slow
@pytest.mark.dbfree
def test_login_hands_out_tokens_that_predict_accepts(model_api):
    """The right password gets a token; without --require-token /predict ignores the header."""
    api = model_api()
    with httpx.Client(base_url=api.url, timeout=10) as client:
        login = client.post("/login", json={"username": "ada", "password": "locust"})
        assert login.status_code == 200
        token = login.json()["token"]
        ok = client.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["price"] > 0
        forged = client.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": "Bearer abc.def"})
        assert forged.status_code == 200  # not checked without --require-token
        assert client.post("/predict", json=TUTORIAL_HOUSE).status_code == 200
        wrong = client.post("/login", json={"username": "ada", "password": "hunter2"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong username or password"
        for body in (b"", b"{", b'{"username": ""}', b'{"username": "a", "password": "locust", "x": 1}'):
            bad = client.post("/login", content=body, headers={"Content-Type": "application/json"})
            assert bad.status_code == 422, body


@pytest.mark.slow
@pytest.mark.dbfree
def test_require_token_refuses_predictions_without_a_token(model_api):
    """With --require-token, /predict without a token, with a forged or a malformed one is a 401 saying why."""
    api = model_api("--require-token", "--workers", "2")
    with httpx.Client(base_url=api.url, timeout=10) as client:
        refused = client.post("/predict", json=TUTORIAL_HOUSE)
        assert refused.status_code == 401 and "POST /login" in refused.json()["detail"]
        assert refused.headers["www-authenticate"] == "Bearer"
        token = client.post("/login", json={"username": "ada", "password": "locust"}).json()["token"]
        forged = client.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": "Bearer abc.def"})
        assert forged.status_code == 401 and "unknown token" in forged.json()["detail"]
        malformed = client.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": token})
        assert malformed.status_code == 401 and "Bearer <token>" in malformed.json()["detail"]
        # Either worker accepts a token issued by either: 20 requests over fresh connections.
        for _ in range(20):
            with httpx.Client(base_url=api.url, timeout=10) as fresh:
                answer = fresh.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 200
        assert client.get("/healthz").status_code == 200  # only /predict needs it


@pytest.mark.slow
@pytest.mark.dbfree
def test_every_nth_answer_is_a_negative_price(model_api, tmp_path):
    """--bad-answer-every 5: of 23 answered predictions, exactly numbers 5, 10, 15 and 20 are negative."""
    api = model_api("--bad-answer-every", "5", "--record", str(tmp_path / "record.jsonl"))
    with httpx.Client(base_url=api.url, timeout=10) as client:
        assert client.post("/predict", json={"sqft": "big"}).status_code == 422  # not an answer: not counted
        prices = [client.post("/predict", json=TUTORIAL_HOUSE).json()["price"] for _ in range(23)]
    bad = [number for number, price in enumerate(prices, start=1) if price < 0]
    assert bad == [5, 10, 15, 20]
    api.stop()  # the record is complete once the server has stopped
    record = [json.loads(line) for line in (tmp_path / "record.jsonl").read_text().splitlines()]
    answers = [row for row in record if row["path"] == "/predict" and row["status"] == 200]
    assert len(answers) == 23
    assert [n for n, row in enumerate(answers, start=1) if row["error"]] == [5, 10, 15, 20]  # noted as wrong
    assert answers[4]["error"] == "wrong answer on purpose (--bad-answer-every 5)"
    assert {-prices[4]} == {abs(p) for p in prices}  # the same house: the bad answer is the price negated

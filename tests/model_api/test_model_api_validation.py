"""POST /predict answers the tutorial's payload with a price, and bad input with 422 naming the field."""

from __future__ import annotations

import random

import httpx
import pytest
from model_api_helpers import TUTORIAL_HOUSE

from labs.model_api.model import LOCATIONS

pytestmark = pytest.mark.slow


def post(
    api, body: bytes | str, path: str = "/predict", content_type: str = "application/json"
) -> httpx.Response:
    return httpx.post(f"{api.url}{path}", content=body, headers={"Content-Type": content_type}, timeout=10)


def test_tutorial_payload_gets_a_price(plain_api):
    """{"sqft": 1500, "bedrooms": 3, "location": "NY"} is priced by the fitted model."""
    response = httpx.post(f"{plain_api.url}/predict", json=TUTORIAL_HOUSE, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["price"] > 0
    assert body["currency"] == "USD"
    assert body["model_version"].startswith("lstsq-")
    assert body["cached"] is False
    assert body["pid"] == plain_api.process.pid


def test_every_location_is_priced_and_bigger_houses_cost_more(plain_api):
    """Each market answers, and within a market price grows with size and bedrooms."""
    with httpx.Client(base_url=plain_api.url, timeout=10) as client:
        for location in LOCATIONS:
            small = client.post("/predict", json={"sqft": 800, "bedrooms": 1, "location": location}).json()
            large = client.post("/predict", json={"sqft": 2500, "bedrooms": 4, "location": location}).json()
            assert 0 < small["price"] < large["price"]


def test_float_sqft_is_accepted(plain_api):
    """Square feet may be fractional; bedrooms must be whole."""
    assert post(plain_api, '{"sqft": 1500.5, "bedrooms": 3, "location": "NY"}').status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ('{"bedrooms": 3, "location": "NY"}', "sqft", "required"),
        ('{"sqft": 1500, "location": "NY"}', "bedrooms", "required"),
        ('{"sqft": 1500, "bedrooms": 3}', "location", "required"),
        ('{"sqft": "big", "bedrooms": 3, "location": "NY"}', "sqft", "number"),
        ('{"sqft": "1500", "bedrooms": 3, "location": "NY"}', "sqft", "number"),
        ('{"sqft": 1500, "bedrooms": "three", "location": "NY"}', "bedrooms", "integer"),
        ('{"sqft": 1500, "bedrooms": 2.5, "location": "NY"}', "bedrooms", "integer"),
        ('{"sqft": 1500, "bedrooms": true, "location": "NY"}', "bedrooms", "integer"),
        ('{"sqft": 1500, "bedrooms": 3, "location": 7}', "location", "unknown location"),
        ('{"sqft": -10, "bedrooms": 3, "location": "NY"}', "sqft", "greater than or equal to 200"),
        ('{"sqft": 0, "bedrooms": 3, "location": "NY"}', "sqft", "greater than or equal to 200"),
        ('{"sqft": 1e9, "bedrooms": 3, "location": "NY"}', "sqft", "less than or equal to 20000"),
        ('{"sqft": 1e999, "bedrooms": 3, "location": "NY"}', "sqft", "finite"),
        ('{"sqft": NaN, "bedrooms": 3, "location": "NY"}', "sqft", "finite"),
        ('{"sqft": 1500, "bedrooms": -1, "location": "NY"}', "bedrooms", "greater than or equal to 0"),
        ('{"sqft": 1500, "bedrooms": 99, "location": "NY"}', "bedrooms", "less than or equal to 20"),
        ('{"sqft": 1500, "bedrooms": 3, "location": "NY", "pool": true}', "pool", "not permitted"),
        ('{"sqft": 1500, "bedrooms": 3, "location": "N', "body", "malformed JSON"),
        ("not json at all", "body", "malformed JSON"),
        ("", "body", "JSON body is required"),
        ("   ", "body", "JSON body is required"),
        ('[1500, 3, "NY"]', "body", "JSON object"),
        ("null", "body", "JSON object"),
        ('"NY"', "body", "JSON object"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(plain_api, body, field, words):
    """Missing fields, wrong types, out-of-range values and broken bodies are 422s that say what is wrong."""
    response = post(plain_api, body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert field in [error["field"] for error in payload["detail"]]
    assert words.lower() in payload["message"].lower()
    assert payload["message"].startswith(f"{field}:") or f"; {field}:" in payload["message"]


def test_unknown_location_lists_the_valid_ones(plain_api):
    """An unknown market is refused with the list of markets the model knows."""
    response = post(plain_api, '{"sqft": 1500, "bedrooms": 3, "location": "ny"}')
    assert response.status_code == 422
    message = response.json()["message"]
    assert "unknown location 'ny'" in message
    for location in LOCATIONS:
        assert location in message


def test_several_problems_are_reported_together(plain_api):
    """Every bad field is named in one answer."""
    response = post(plain_api, '{"sqft": 5, "bedrooms": "x"}')
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} == {"sqft", "bedrooms", "location"}


def test_work_endpoints_validate_like_predict(plain_api):
    """/work/cpu and /work/io take the same body and refuse the same mistakes."""
    for path in ("/work/cpu", "/work/io"):
        assert httpx.post(f"{plain_api.url}{path}", json=TUTORIAL_HOUSE, timeout=10).status_code == 200
        response = post(plain_api, '{"sqft": 1500, "bedrooms": 3, "location": "XX"}', path=path)
        assert response.status_code == 422
        assert "valid locations" in response.json()["message"]


def test_body_is_read_as_json_whatever_the_content_type(plain_api):
    """A client that forgets the JSON content type still gets a price (or a 422), never a 500."""
    assert (
        post(
            plain_api, '{"sqft": 1500, "bedrooms": 3, "location": "NY"}', content_type="text/plain"
        ).status_code
        == 200
    )
    assert post(plain_api, "sqft=1500", content_type="application/x-www-form-urlencoded").status_code == 422


def test_wrong_method_and_unknown_path_are_not_server_errors(plain_api):
    assert httpx.get(f"{plain_api.url}/predict", timeout=10).status_code == 405
    assert httpx.post(f"{plain_api.url}/nope", json=TUTORIAL_HOUSE, timeout=10).status_code == 404


def test_random_garbage_never_causes_a_500(plain_api):
    """Hundreds of mangled bodies (seeded) get 200 or 422, never a server error."""
    rng = random.Random(4)
    pieces = ['"sqft"', '"bedrooms"', '"location"', ":", ",", "{", "}", "[", "]", "1500", "3", '"NY"', "-1",
              "1e308", "null", "true", '"\\u0000"', '"' + "x" * 300 + '"', "0.5", " "]  # fmt: skip
    statuses = set()
    with httpx.Client(base_url=plain_api.url, timeout=10) as client:
        for _ in range(300):
            body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
            if rng.random() < 0.2:
                body = body.encode() + bytes(rng.randrange(256) for _ in range(5))
            statuses.add(
                client.post(
                    "/predict", content=body, headers={"Content-Type": "application/json"}
                ).status_code
            )
    assert statuses <= {200, 422}

"""Lab checkpoints allow LAB_CHECKPOINT_ATTEMPTS (three) answers per question per run and show the expected
value and the explanation only after the last one or a correct one."""

import pytest

pytestmark = pytest.mark.django_db

CHECKPOINT = "lab-first-slower-requests"  # 1% of the run's 400 requests: 4


def _answer(client, run, value):
    return client.post(f"/api/v1/runs/{run.pk}/answers", {"question": CHECKPOINT, "answer": value}, format="json")


def test_a_checkpoint_allows_three_answers_and_reveals_only_after_the_last(api_client, learner, make_run, lab):
    """Wrong, wrong: verdict and attempts left, no expected value; the third shows it; a fourth is a 409."""
    run = make_run(learner, lab)
    api_client.force_authenticate(learner)
    for left in (2, 1):
        body = _answer(api_client, run, "7").json()
        assert body["verdict"] == "incorrect" and body["expected"] == "" and body["details"] == {}
        assert f"{left} attempt" in body["feedback"][0] and "4" not in " ".join(body["feedback"])
    last = _answer(api_client, run, "7").json()
    assert last["verdict"] == "incorrect" and last["expected"].startswith("4")
    refused = _answer(api_client, run, "4")
    assert refused.status_code == 409 and "settled" in refused.json()["error"]


def test_a_correct_checkpoint_answer_shows_everything_and_settles_it(api_client, learner, make_run, lab):
    """A correct answer is confirmed in full; no more answers on that run."""
    run = make_run(learner, lab)
    api_client.force_authenticate(learner)
    body = _answer(api_client, run, "4").json()
    assert body["verdict"] == "correct" and body["expected"]
    assert _answer(api_client, run, "5").status_code == 409


def test_an_unreadable_checkpoint_answer_costs_no_attempt(api_client, learner, make_run, lab):
    """"lots" is invalid: it does not count, so three real attempts remain."""
    run = make_run(learner, lab)
    api_client.force_authenticate(learner)
    assert _answer(api_client, run, "lots").status_code == 400
    assert "2 attempts left" in _answer(api_client, run, "7").json()["feedback"][0]


def test_the_run_page_hides_the_expected_value_until_revealed(client, learner, make_run, lab):
    """The page's stored answer shows the verdict and attempts left, not the expected value or explanation."""
    run = make_run(learner, lab)
    client.force_login(learner)
    client.post(f"/labs/runs/{run.pk}/answer/{CHECKPOINT}", {"answer": "7"})
    page = client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert 'data-verdict="incorrect"' in page and "2 attempts left" in page and "Expected:" not in page
    client.post(f"/labs/runs/{run.pk}/answer/{CHECKPOINT}", {"answer": "7"})
    client.post(f"/labs/runs/{run.pk}/answer/{CHECKPOINT}", {"answer": "7"})
    page = client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert "Expected:" in page and "no attempts left" in page

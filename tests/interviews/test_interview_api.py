"""The interview API: create, fetch the current question, save, move on, finish, scorecard. JSON errors."""

import pytest

from quizsite.interviews.models import TRACK_TOPICS, Interview
from quizsite.questions.models import Question

pytestmark = pytest.mark.django_db

BASE = "/api/v1/interviews/"
RUBRIC_WORDS = ("concepts", "phrasings", "claims", "correction", "model_answer", "feedback", "weight")


@pytest.fixture
def candidate(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def create(client, **data):
    body = {"track": "load-latency", "duration_minutes": 30, "question_count": 3, **data}
    return client.post(BASE, body, format="json")


def test_create_draws_distinct_rubric_questions_from_the_track(candidate):
    response = create(candidate, with_interviewer=True)
    assert response.status_code == 201
    data = response.json()
    assert data["question_count"] == 3 and data["current"] == 1 and data["status"] == "in_progress"
    assert data["remaining_s"] == 30 * 60 or data["remaining_s"] == 30 * 60 - 1
    assert data["interviewer_url"].startswith("http://testserver/interviews/")
    interview = Interview.objects.get(pk=data["id"])
    questions = [item.question for item in interview.ordered_items()]
    assert len({q.pk for q in questions}) == 3
    assert all(q.type == "rubric" and q.topic.slug in TRACK_TOPICS["load-latency"] for q in questions)


def test_the_current_question_never_carries_the_rubric(candidate):
    pk = create(candidate).json()["id"]
    response = candidate.get(f"{BASE}{pk}/current")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == 1 and data["of"] == 3 and data["question"]["prompt"]
    assert isinstance(data["question"]["follow_ups"], list)
    assert data["question_remaining_s"] <= 600 and data["remaining_s"] <= 1800
    # No rubric field anywhere in the answer (the words themselves may be in a prompt: "the weight of a task")...
    assert not {key for key in keys(data) if key in RUBRIC_WORDS}
    # ...and none of the rubric's text: its model answer and what each of its concepts says.
    question = Question.objects.get(slug=data["question"]["id"])
    flat = str(data)
    secrets = [question.spec["model_answer"], *(concept["label"] for concept in question.rubric_concepts())]
    assert len(secrets) > 1 and not [s for s in secrets if s in flat]


def keys(value) -> list[str]:
    """Every dict key in a JSON value, at any depth."""
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys(v)]
    return []


@pytest.fixture
def no_follow_ups(settings):
    """Moving on goes straight to the next question (follow-ups: test_interview_follow_ups.py)."""
    settings.INTERVIEW_FOLLOW_UP_MIN_S = 24 * 3600


def test_save_is_idempotent_and_refuses_stale_positions(candidate, no_follow_ups):
    pk = create(candidate).json()["id"]
    first = candidate.put(f"{BASE}{pk}/answer", {"text": "P99 is a percentile", "position": 1}, format="json")
    again = candidate.put(f"{BASE}{pk}/answer", {"text": "P99 is a percentile", "position": 1}, format="json")
    assert first.status_code == again.status_code == 200
    assert first.json()["changed"] is True and again.json()["changed"] is False
    assert first.json()["saved_at"] == again.json()["saved_at"]
    assert candidate.post(f"{BASE}{pk}/next", format="json").json()["number"] == 2
    stale = candidate.put(f"{BASE}{pk}/answer", {"text": "older", "position": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]
    assert candidate.get(f"{BASE}{pk}/current").json()["answer"] == ""


def test_the_whole_session_through_the_api(candidate, no_follow_ups):
    pk = create(candidate, question_count=2).json()["id"]
    assert candidate.get(f"{BASE}{pk}/scorecard").status_code == 409
    candidate.put(f"{BASE}{pk}/answer", {"text": "I would measure the 99th percentile under load"}, format="json")
    assert candidate.post(f"{BASE}{pk}/next").status_code == 200
    last = candidate.post(f"{BASE}{pk}/next")
    assert last.status_code == 409 and "last question" in last.json()["error"]
    finished = candidate.post(f"{BASE}{pk}/finish")
    assert finished.status_code == 200
    card = finished.json()
    assert card["status"] == "finished" and len(card["questions"]) == 2
    assert 0 <= card["overall_score"] <= 1
    assert card["questions"][0]["answer"].startswith("I would measure")
    assert card["questions"][0]["model_answer"]
    assert candidate.get(f"{BASE}{pk}/scorecard").json() == card
    assert candidate.put(f"{BASE}{pk}/answer", {"text": "more"}, format="json").status_code == 409
    assert candidate.get(f"{BASE}{pk}/current").status_code == 409
    assert candidate.post(f"{BASE}{pk}/finish").status_code == 200  # finishing again is harmless
    listing = candidate.get(BASE).json()
    assert [row["id"] for row in listing] == [pk]


@pytest.mark.parametrize("body", [
    {"duration_minutes": 25},
    {"question_count": 0},
    {"question_count": 11},
    {"track": "nonsense"},
    {"track": "custom"},
    {"track": "custom", "topics": ["no-such-topic"]},
    {"with_interviewer": "perhaps"},
])
def test_bad_input_is_a_json_400(candidate, body):
    response = create(candidate, **body)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("body", [[], "text", {"text": None}, {"text": "x" * 20_001}, {"text": "ok", "position": 0}])
def test_bad_answers_are_a_json_400(candidate, body):
    pk = create(candidate).json()["id"]
    response = candidate.put(f"{BASE}{pk}/answer", body, format="json")
    assert response.status_code == 400 and response.json()["error"]


def test_chosen_topics_draw_only_from_those_topics(candidate):
    response = create(candidate, track="custom", topics=["caching"], question_count=10)
    assert response.status_code == 201
    interview = Interview.objects.get(pk=response.json()["id"])
    assert {item.question.topic.slug for item in interview.ordered_items()} == {"caching"}
    assert response.json()["question_count"] == interview.items.count() <= 10


def test_anonymous_callers_get_json_401_or_403(api_client):
    for method, path in [("get", BASE), ("post", BASE), ("get", f"{BASE}1/current"), ("post", f"{BASE}1/finish")]:
        response = getattr(api_client, method)(path)
        assert response.status_code in (401, 403)
        assert response.json()["error"]


def test_another_learners_session_is_a_json_404(candidate, api_client, other_learner):
    pk = create(candidate).json()["id"]
    api_client.force_authenticate(other_learner)
    for method, path in [("get", f"{BASE}{pk}"), ("get", f"{BASE}{pk}/current"), ("post", f"{BASE}{pk}/next"),
                         ("post", f"{BASE}{pk}/finish"), ("get", f"{BASE}{pk}/scorecard")]:
        response = getattr(api_client, method)(path)
        assert response.status_code == 404 and response.json()["error"]
    response = api_client.put(f"{BASE}{pk}/answer", {"text": "hijack"}, format="json")
    assert response.status_code == 404
    assert not Interview.objects.get(pk=pk).is_finished
    assert api_client.get(f"{BASE}999999/current").status_code == 404


def test_the_schema_documents_the_interview_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/interviews/", "/api/v1/interviews/{id}/answer", "/api/v1/interviews/{id}/scorecard"):
        assert path in schema

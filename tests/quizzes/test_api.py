"""The JSON API: questions, grading, quizzes, attempts and tokens. Errors are JSON, never 500."""

import pytest
from django.core.cache import cache

from quizsite.questions.models import Question
from quizsite.quizzes.models import Answer

pytestmark = pytest.mark.django_db

STRONG_P99 = (
    "P99 is the 99th percentile of latency: 99% of requests are at or below it, 1 in 100 is slower. "
    "Averages hide the tail, and at scale 1M users means 10,000 users see it."
)


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


def test_topics_and_question_list_with_filters(api_client):
    topics = api_client.get("/api/v1/topics/").json()
    assert {"id": "latency"}.items() <= next(t for t in topics if t["id"] == "latency").items()
    page = api_client.get("/api/v1/questions/", {"topic": "latency", "type": "rubric"}).json()
    assert "what-is-p99" in [q["id"] for q in page["results"]]
    assert all(q["topic"] == "latency" for q in page["results"])


def test_question_detail_has_no_answer_key(api_client):
    data = api_client.get("/api/v1/questions/what-is-p99/").json()
    assert data["prompt"].strip()
    flat = str(data)
    assert "concepts" not in flat and "model_answer" not in flat and "phrasings" not in flat
    assert "claims" not in flat and "misconceptions" not in flat and "correction" not in flat
    choice = Question.objects.live().filter(type="single").first()
    data = api_client.get(f"/api/v1/questions/{choice.slug}/").json()
    assert data["choices"] and all(set(c) == {"id", "text"} for c in data["choices"])


def test_grade_returns_score_verdict_feedback_expected(api_client):
    response = api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": STRONG_P99}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["verdict"] == "correct" and data["score"] >= 0.8
    assert data["feedback"] and data["expected"]
    assert not Answer.objects.exists()  # anonymous API grading is not recorded


def test_signed_in_grades_are_recorded(api_client, learner):
    api_client.force_authenticate(learner)
    api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": STRONG_P99}, format="json")
    assert Answer.objects.filter(user=learner, question__slug="what-is-p99").count() == 1


@pytest.mark.parametrize("body", [
    {}, {"answr": "x"}, [], [1, 2], "just text", {"answer": None}, {"answer": {"a": [1, {"b": 2}]}},
    {"answer": "x" * 100_000}, {"answer": 1e308}, {"answer": ["a", "b", ["c"]]}, {"answer": "NaN"},
])
def test_no_input_shape_yields_a_500(api_client, body):
    slugs = {q.type: q.slug for q in Question.objects.live() if not q.uses_run_variables}
    for slug in slugs.values():
        response = api_client.post(f"/api/v1/questions/{slug}/grade", body, format="json")
        assert response.status_code in (200, 400), (slug, body, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        if response.status_code == 400:
            assert "error" in response.json()


def test_malformed_json_is_a_json_400(api_client):
    response = api_client.generic("POST", "/api/v1/questions/what-is-p99/grade", "{not json",
                                  content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_unknown_question_and_unknown_api_path_are_json_404(api_client):
    assert api_client.post("/api/v1/questions/nope/grade", {"answer": 1}, format="json").status_code == 404
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["error"] == "Not found."


def test_anonymous_grading_is_rate_limited(api_client, monkeypatch):
    """Past the anonymous rate, grading answers 429 with a JSON error."""
    from quizsite.quizzes.api import GradeAnonThrottle

    monkeypatch.setattr(GradeAnonThrottle, "rate", "3/min", raising=False)
    responses = [api_client.post("/api/v1/questions/what-is-p99/grade", {"answer": "x"}, format="json")
                 for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert "throttled" in responses[-1].json()["error"].lower()


def test_token_auth_flow(api_client, learner, password):
    bad = api_client.post("/api/v1/auth/token", {"username": "learner", "password": "wrong"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]
    token = api_client.post("/api/v1/auth/token", {"username": "learner", "password": password},
                            format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    started = api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {"mode": "practice"}, format="json")
    assert started.status_code == 201
    attempt_id = started.json()["id"]
    graded = api_client.post(f"/api/v1/attempts/{attempt_id}/answers",
                             {"question": "what-is-p99", "answer": STRONG_P99}, format="json")
    assert graded.status_code == 200 and graded.json()["verdict"] == "correct"
    finished = api_client.post(f"/api/v1/attempts/{attempt_id}/finish").json()
    assert finished["finished_at"] and finished["score"] > 0


def test_attempts_need_auth_and_belong_to_their_owner(api_client, learner, other_learner):
    assert api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {}, format="json").status_code in (401, 403)
    api_client.force_authenticate(learner)
    attempt_id = api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {}, format="json").json()["id"]
    api_client.force_authenticate(other_learner)
    assert api_client.get(f"/api/v1/attempts/{attempt_id}").status_code == 404
    response = api_client.post(f"/api/v1/attempts/{attempt_id}/answers", {"question": "what-is-p99", "answer": "x"},
                               format="json")
    assert response.status_code == 404


def test_exam_answers_hide_the_verdict_until_finished(api_client, learner):
    api_client.force_authenticate(learner)
    attempt = api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {"mode": "exam"}, format="json").json()
    saved = api_client.post(f"/api/v1/attempts/{attempt['id']}/answers",
                            {"question": "what-is-p99", "answer": STRONG_P99}, format="json").json()
    assert saved == {"saved": True, "verdict": None, "counts_as_attempt": True}
    detail = api_client.get(f"/api/v1/attempts/{attempt['id']}").json()
    row = next(q for q in detail["questions"] if q["id"] == "what-is-p99")
    assert row["answered"] and "verdict" not in row


def test_answer_to_a_question_outside_the_quiz_is_400(api_client, learner):
    api_client.force_authenticate(learner)
    attempt = api_client.post("/api/v1/quizzes/load-testing-lesson/attempts", {}, format="json").json()
    outside = Question.objects.live().exclude(quizzes__slug="load-testing-lesson").first()
    response = api_client.post(f"/api/v1/attempts/{attempt['id']}/answers", {"question": outside.slug, "answer": "1"},
                               format="json")
    assert response.status_code == 400 and "question" in response.json()["fields"]


def test_schema_and_offline_docs(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/questions/{slug}/grade" in spec["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs

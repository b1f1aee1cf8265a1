"""The exercises API: JSON everywhere, one active submission per learner, 64 KB, per-user access."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from exercises import runner
from exercises.models import Exercise, Submission, SubmissionStatus

pytestmark = pytest.mark.django_db

MLUSER = (
    "from locust import HttpUser, task, between\n\n"
    "class MLUser(HttpUser):\n"
    "    wait_time = between(1, 2)\n\n"
    "    @task\n"
    "    def predict(self):\n"
    "        self.client.post('/predict', json={'sqft': 1500, 'bedrooms': 3, 'location': 'NY'})\n"
)
URL = "/api/v1/exercises/write-mluser/submissions"


@pytest.fixture
def sandbox_ok(monkeypatch):
    """The sandbox reads as available (its real check runs in the slow tests)."""
    monkeypatch.setattr(runner, "sandbox_unavailable", lambda: None)


@pytest.fixture
def client_of(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def test_exercises_are_listed_with_their_checks(api_client):
    """Anyone may read the list: slug, instructions, starting file, run settings, the checks by title."""
    data = api_client.get("/api/v1/exercises/").json()
    first = data[0]
    assert first["slug"] == "write-mluser" and first["starting_file"] == ""
    assert [c["id"] for c in first["checks"]] == ["file", "runs", "predictions", "valid-json", "wait-time"]
    assert first["run"]["users"] == 5 and first["submissions_url"] == URL
    assert len(data) == 6


def test_submitting_needs_an_account(api_client, sandbox_ok):
    response = api_client.post(URL, {"locustfile": MLUSER}, format="json")
    assert response.status_code in (401, 403) and "error" in response.json()
    assert not Submission.objects.exists()


def test_a_submission_is_queued_on_the_labs_queue(client_of, learner, sandbox_ok):
    """201 {"id", "status": "queued"}; the task waits on the labs queue; the file check is answered at once."""
    response = client_of.post(URL, {"locustfile": MLUSER}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["url"] == f"/api/v1/submissions/{body['id']}"
    submission = Submission.objects.get(pk=body["id"])
    assert submission.user == learner and submission.source == MLUSER and submission.run["users"] == 5
    task = DBTaskResult.objects.get(pk=submission.task_id)
    assert task.queue_name == "labs" and task.args_kwargs["args"] == [submission.pk]
    detail = client_of.get(body["url"]).json()
    assert detail["status"] == "queued"
    assert detail["checks"][0] == {"id": "file", "title": "The file defines a user", "passed": True,
                                   "message": "Found MLUser(HttpUser) with 1 @task, wait_time = between(1, 2)."}
    assert [c["passed"] for c in detail["checks"][1:]] == [None, None, None, None]


def test_one_active_submission_per_learner(client_of, sandbox_ok):
    """A second submission while the first is queued is a 409 naming the first."""
    first = client_of.post(URL, {"locustfile": MLUSER}, format="json").json()
    second = client_of.post("/api/v1/exercises/weighted-tasks/submissions", {"locustfile": MLUSER}, format="json")
    assert second.status_code == 409
    assert second.json()["error"] == ("You already have a locustfile queued or running. Wait for it to finish "
                                      f"first. (submission {first['id']}: /api/v1/submissions/{first['id']})")
    assert Submission.objects.count() == 1


@pytest.mark.parametrize(("body", "message"), [
    ({}, "required"),
    ({"locustfile": 12}, "required"),
    ({"locustfile": "   \n"}, "is empty"),
    ({"locustfile": "x" * (64 * 1024 + 1)}, "at most 64 KB"),
    ({"locustfile": "é" * (32 * 1024 + 1)}, "at most 64 KB"),  # bytes, not characters
])
def test_bad_sources_are_400_and_store_nothing(client_of, sandbox_ok, body, message):
    response = client_of.post(URL, body, format="json")
    assert response.status_code == 400 and message in str(response.json())
    assert not Submission.objects.exists()


def test_exactly_64_kb_is_accepted(client_of, sandbox_ok):
    source = MLUSER + "#" * (64 * 1024 - len(MLUSER.encode()) - 1) + "\n"
    assert len(source.encode()) == 64 * 1024
    assert client_of.post(URL, {"locustfile": source}, format="json").status_code == 201


def test_without_the_sandbox_nothing_is_queued(client_of, monkeypatch):
    """503 with the reason; never run unsandboxed."""
    monkeypatch.setattr(runner, "sandbox_unavailable", lambda: "bwrap is not installed")
    response = client_of.post(URL, {"locustfile": MLUSER}, format="json")
    assert response.status_code == 503
    assert "sandbox is unavailable (bwrap is not installed)" in response.json()["error"]
    assert not Submission.objects.exists()


def test_another_learners_submission_is_a_404(client_of, api_client, other_learner, sandbox_ok):
    created = client_of.post(URL, {"locustfile": MLUSER}, format="json").json()
    from rest_framework.test import APIClient

    other = APIClient()
    other.force_authenticate(other_learner)
    response = other.get(created["url"])
    assert response.status_code == 404 and response.json()["error"]
    assert other.get("/api/v1/exercises/write-mluser/submissions").json() == []
    assert client_of.get("/api/v1/submissions/999999").status_code == 404


def test_unknown_exercise_is_a_json_404(client_of, sandbox_ok):
    response = client_of.post("/api/v1/exercises/no-such/submissions", {"locustfile": MLUSER}, format="json")
    assert response.status_code == 404 and "error" in response.json()


def test_the_hourly_limit_answers_429(client_of, learner, sandbox_ok, settings):
    settings.EXERCISE_SUBMISSIONS_PER_HOUR = 2
    exercise = Exercise.objects.get(slug="write-mluser")
    for _ in range(2):
        Submission.objects.create(exercise=exercise, user=learner, source=MLUSER, status=SubmissionStatus.FAILED,
                                  created_at=timezone.now())
    response = client_of.post(URL, {"locustfile": MLUSER}, format="json")
    assert response.status_code == 429 and 3500 < int(response["Retry-After"]) <= 3601  # the oldest's hour
    assert response.json()["error"].startswith("You have run 2 locustfiles in the last hour, this site's limit.")


def test_a_file_that_does_not_parse_ends_in_error_without_running(client_of, sandbox_ok):
    """The worker reports the syntax error with its line and runs nothing (no sandbox needed)."""
    created = client_of.post(URL, {"locustfile": "from locust import HttpUser\nclass U(HttpUser)\n"}, format="json")
    submission_id = created.json()["id"]
    assert runner.execute(submission_id).startswith("error: SyntaxError on line 2")
    detail = client_of.get(f"/api/v1/submissions/{submission_id}").json()
    assert detail["status"] == "error" and detail["reason"].startswith("SyntaxError on line 2: ")
    assert detail["checks"][0]["passed"] is False
    assert all(c["passed"] is False for c in detail["checks"])


def test_a_stale_queued_submission_ends_in_error(client_of, learner, settings):
    """Queued past LAB_QUEUE_TIMEOUT_S with no worker: reading it ends it, and the learner may submit again."""
    exercise = Exercise.objects.get(slug="write-mluser")
    old = timezone.now() - timezone.timedelta(seconds=settings.LAB_QUEUE_TIMEOUT_S + 5)
    stale = Submission.objects.create(exercise=exercise, user=learner, source=MLUSER, created_at=old)
    detail = client_of.get(f"/api/v1/submissions/{stale.pk}").json()
    assert detail["status"] == "error" and "No task worker picked this up" in detail["reason"]


def test_the_schema_documents_the_exercise_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/exercises/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/exercises/{slug}/submissions"]
    assert "/api/v1/submissions/{id}" in schema["paths"]

"""Exercise pages: the list, the editor page, submitting from the form, a submission's page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exercises import runner
from exercises.models import Exercise, Submission, SubmissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_ok(monkeypatch):
    monkeypatch.setattr(runner, "sandbox_unavailable", lambda: None)


def test_the_list_shows_every_exercise(client, sandbox_ok):
    page = client.get("/exercises/").content.decode()
    for title in ("Write the tutorial&#x27;s MLUser", "Weighted tasks", "Fix a broken locustfile"):
        assert title in page
    assert "cannot run on this site" not in page


def test_pages_say_when_the_sandbox_is_unavailable(learner_client, monkeypatch):
    """The list and the exercise say why, and the Run button is disabled."""
    monkeypatch.setattr(runner, "sandbox_unavailable", lambda: "bwrap is not installed")
    assert "The sandbox is unavailable (bwrap is not installed)" in learner_client.get("/exercises/").content.decode()
    page = learner_client.get("/exercises/write-mluser/").content.decode()
    assert "This exercise cannot run on this site." in page
    assert 'id="run-button" disabled' in page


def test_an_anonymous_visitor_reads_the_exercise_and_is_asked_to_log_in(client, sandbox_ok):
    page = client.get("/exercises/write-mluser/").content.decode()
    assert "Instructions" in page and "Log in</a> to run your locustfile" in page
    assert "Show the reference solution" in page and "wait_time = between(1, 2)" in page
    assert 'id="locustfile"' not in page
    assert client.post("/exercises/write-mluser/submit", {"locustfile": "x"}).status_code == 302  # to log in
    assert not Submission.objects.exists()


def test_the_editor_holds_the_starting_file_then_the_last_submission(learner_client, learner, sandbox_ok):
    page = learner_client.get("/exercises/fix-broken/").content.decode()
    assert "data=HOUSE" in page and 'name="locustfile"' in page and "Ctrl</kbd>+<kbd>Enter" in page
    exercise = Exercise.objects.get(slug="fix-broken")
    Submission.objects.create(exercise=exercise, user=learner, source="# my own try\n",
                              status=SubmissionStatus.FAILED, created_at=timezone.now())
    assert "# my own try" in learner_client.get("/exercises/fix-broken/").content.decode()


def test_submitting_the_form_redirects_to_the_submission(learner_client, learner, sandbox_ok):
    exercise = Exercise.objects.get(slug="write-mluser")
    response = learner_client.post("/exercises/write-mluser/submit", {"locustfile": exercise.solution})
    submission = Submission.objects.get(user=learner)
    assert response.status_code == 302 and response["Location"] == f"/exercises/submissions/{submission.pk}/"
    page = learner_client.get(response["Location"]).content.decode()
    assert "Queued" in page and 'http-equiv="refresh"' in page  # refreshes itself without JavaScript
    assert "Found MLUser(HttpUser)" in page  # the file check, answered at once


def test_submitting_with_javascript_answers_json(learner_client, sandbox_ok):
    exercise = Exercise.objects.get(slug="write-mluser")
    response = learner_client.post("/exercises/write-mluser/submit", {"locustfile": exercise.solution},
                                   HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "queued" and data["api_url"] == f"/api/v1/submissions/{data['id']}"
    again = learner_client.post("/exercises/write-mluser/submit", {"locustfile": exercise.solution},
                                HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and "already have a locustfile" in again.json()["detail"]


def test_a_too_large_file_is_refused_on_the_page_and_kept_in_the_editor(learner_client, sandbox_ok):
    source = "# big\n" + "x" * (64 * 1024)
    response = learner_client.post("/exercises/write-mluser/submit", {"locustfile": source})
    assert response.status_code == 400
    page = response.content.decode()
    assert "must be at most 64 KB" in page and "# big" in page
    assert not Submission.objects.exists()


def test_a_finished_submission_shows_its_checks_and_output(learner_client, learner):
    exercise = Exercise.objects.get(slug="write-mluser")
    submission = Submission.objects.create(
        exercise=exercise, user=learner, source=exercise.solution, status=SubmissionStatus.PASSED,
        checks=[{"id": "file", "title": "The file defines a user", "passed": True, "message": "Found MLUser."},
                {"id": "predictions", "title": "The API answered predictions", "passed": True,
                 "message": "61 requests to POST /predict answered 200."}],
        output="POST /predict 61", created_at=timezone.now(), finished_at=timezone.now())
    page = learner_client.get(f"/exercises/submissions/{submission.pk}/").content.decode()
    assert "61 requests to POST /predict answered 200." in page and "POST /predict 61" in page
    assert 'data-passed="yes"' in page and 'data-passed="pending"' in page  # runs, valid-json, wait-time
    assert '<details class="solution" id="solution" open>' in page  # shown after a pass
    assert 'http-equiv="refresh"' not in page


def test_another_learners_submission_is_a_404(client, other_learner, learner):
    exercise = Exercise.objects.get(slug="write-mluser")
    submission = Submission.objects.create(exercise=exercise, user=learner, source="x", created_at=timezone.now())
    client.force_login(other_learner)
    assert client.get(f"/exercises/submissions/{submission.pk}/").status_code == 404
    assert client.post(f"/exercises/submissions/{submission.pk}/edit").status_code == 404

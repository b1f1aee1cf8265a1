"""The labs API: JSON everywhere, limits enforced, runs visible only to their owner."""

import pytest
from django_tasks_db.models import DBTaskResult

from labs.models import LabAnswer, LabRun, RunStatus
from quizsite.questions.signals import answer_graded

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def test_labs_are_listed_with_their_pages():
    """GET /api/v1/labs/ lists the six guided labs in order."""
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/labs/")
    assert response.status_code == 200
    slugs = [lab["slug"] for lab in response.json()]
    assert slugs[:2] == ["first-load-test", "breaking-point"] and len(slugs) >= 6


def test_a_lab_shows_its_knobs_limits_and_questions(api_client):
    """The detail names what a learner may change, the site's caps and the checkpoint questions."""
    data = api_client.get("/api/v1/labs/breaking-point/").json()
    assert data["knobs"]["load"]["users"] == {"default": 48, "adjustable": True, "min": 8, "max": 120}
    assert data["knobs"]["load"]["spawn_rate"]["adjustable"] is False
    assert data["limits"]["users"] == 200 and data["slo_ms"] == 100
    assert len(data["questions"]) >= 3


def test_an_unknown_lab_is_a_json_404(api_client):
    response = api_client.get("/api/v1/labs/no-such-lab/")
    assert response.status_code == 404 and "error" in response.json()


def test_starting_a_run_needs_an_account(api_client):
    """Anonymous callers cannot start load: 401/403 with a JSON error, and nothing is queued."""
    response = api_client.post("/api/v1/labs/first-load-test/runs", {"users": 5}, format="json")
    assert response.status_code in (401, 403) and "error" in response.json()
    assert not LabRun.objects.exists()


def test_a_run_is_created_queued_and_enqueued(client_of, learner):
    """201 with the id and status; the task waits on the labs queue."""
    response = client_of.post("/api/v1/labs/first-load-test/runs",
                              {"users": 5, "spawn_rate": 5, "duration_s": 5, "api": {"delay_median_ms": 20}},
                              format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and set(body) >= {"id", "status"}
    run = LabRun.objects.get(pk=body["id"])
    assert run.user == learner and run.config["users"] == 5 and run.config["api"]["delay_median_ms"] == 20
    task = DBTaskResult.objects.get(id=run.task_id)
    assert task.queue_name == "labs" and task.args_kwargs["args"] == [run.pk]


def test_one_active_run_per_learner(client_of):
    """A second run while one is queued or running is a 409 naming the active run."""
    first = client_of.post("/api/v1/labs/first-load-test/runs", {}, format="json")
    second = client_of.post("/api/v1/labs/breaking-point/runs", {}, format="json")
    assert first.status_code == 201
    assert second.status_code == 409
    run_id = first.json()["id"]
    assert second.json()["error"] == ("You already have a lab run queued or running. Wait for it or cancel it "
                                      f"first. (run {run_id}: /api/v1/runs/{run_id})")
    assert LabRun.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"users": 101}, "users"),
        ({"users": 0}, "users"),
        ({"spawn_rate": 51}, "spawn_rate"),
        ({"duration_s": 121}, "duration_s"),
        ({"duration_s": -5}, "duration_s"),
        ({"workers": 3}, "workers"),
        ({"api": {"cpu_ms": 1000}}, "api.cpu_ms"),
        ({"api": {"delay_median_ms": 500}}, "api.delay_median_ms"),
        ({"host": "http://example.com"}, "host"),
        ({"target": "10.0.0.1"}, "target"),
        ({"url": "http://127.0.0.1:8000/admin/"}, "url"),
        ({"api": {"host": "0.0.0.0"}}, "api.host"),
        ({"api": {"port": 22}}, "api.port"),
    ],
)
def test_out_of_bounds_or_targeted_runs_are_refused_naming_the_field(client_of, body, field):
    """400 with the field named; nothing is queued."""
    response = client_of.post("/api/v1/labs/first-load-test/runs", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not LabRun.objects.exists()


def test_site_caps_apply_over_a_labs_bounds(client_of, settings):
    """LAB_MAX_USERS lowers what a lab allows."""
    settings.LAB_MAX_USERS = 10
    response = client_of.post("/api/v1/labs/first-load-test/runs", {"users": 11}, format="json")
    assert response.status_code == 400 and "limit on this site" in response.json()["fields"]["users"]


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "null"])
def test_bad_bodies_are_json_400s(client_of, payload):
    response = client_of.post("/api/v1/labs/first-load-test/runs", payload, content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_a_run_is_visible_to_its_owner_only(client_of, api_client, other_learner, learner, lab, make_run):
    """The owner gets status, samples and results; anyone else a 404."""
    mine = make_run(learner, lab)
    theirs = make_run(other_learner, lab)
    body = client_of.get(f"/api/v1/runs/{mine.pk}").json()
    assert body["status"] == "succeeded" and len(body["samples"]) == 20
    assert body["results"]["p99_ms"] == 238.4 and body["results"]["locust_p99_ms"] == 240.0
    assert client_of.get(f"/api/v1/runs/{theirs.pk}").status_code == 404
    assert len(client_of.get(f"/api/v1/runs/{mine.pk}?since=17").json()["samples"]) == 2


def test_cancelling_a_queued_run_ends_it_at_once(client_of):
    """202, then the run is cancelled; cancelling again is a 409."""
    run_id = client_of.post("/api/v1/labs/first-load-test/runs", {}, format="json").json()["id"]
    response = client_of.post(f"/api/v1/runs/{run_id}/cancel")
    assert response.status_code == 202
    assert LabRun.objects.get(pk=run_id).status == RunStatus.CANCELLED
    assert client_of.post(f"/api/v1/runs/{run_id}/cancel").status_code == 409
    assert client_of.post("/api/v1/labs/first-load-test/runs", {}, format="json").status_code == 201


def test_cancelling_a_running_run_asks_its_worker(client_of, learner, lab, make_run):
    """A running run is stopped by its worker: the request is recorded, the status stays until then."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    assert client_of.post(f"/api/v1/runs/{run.pk}/cancel").status_code == 202
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.cancel_requested_at is not None
    assert client_of.get(f"/api/v1/runs/{run.pk}").json()["cancel_requested"] is True


def test_a_checkpoint_answer_is_graded_against_the_run_and_kept_with_it(client_of, learner, lab, make_run):
    """1% of the run's 400 requests is 4: correct; the answer is stored with the run and reaches the cards."""
    run = make_run(learner, lab)
    heard = []
    answer_graded.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="lab-test")
    try:
        response = client_of.post(f"/api/v1/runs/{run.pk}/answers",
                                  {"question": "lab-first-slower-requests", "answer": "4"}, format="json")
    finally:
        answer_graded.disconnect(dispatch_uid="lab-test")
    assert response.status_code == 200, response.json()
    assert response.json()["verdict"] == "correct"
    answer = LabAnswer.objects.get()
    assert answer.run == run and answer.variables["requests"] == 400 and answer.verdict == "correct"
    assert heard and heard[0]["source"] == "lab" and heard[0]["question"].slug == "lab-first-slower-requests"


def test_an_unreadable_answer_is_not_stored(client_of, learner, lab, make_run):
    run = make_run(learner, lab)
    response = client_of.post(f"/api/v1/runs/{run.pk}/answers",
                              {"question": "lab-first-slower-requests", "answer": "lots"}, format="json")
    assert response.status_code == 400 and response.json()["verdict"] == "invalid"
    assert not LabAnswer.objects.exists()


def test_a_run_without_results_cannot_grade(client_of, learner, lab, make_run):
    """Questions need a finished run's numbers: 409 while it runs; 400 for a question of another lab."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    response = client_of.post(f"/api/v1/runs/{run.pk}/answers",
                              {"question": "lab-first-slower-requests", "answer": "4"}, format="json")
    assert response.status_code == 409
    other = client_of.post(f"/api/v1/runs/{run.pk}/answers", {"question": "what-is-p99", "answer": "x"},
                           format="json")
    assert other.status_code == 400 and "question" in other.json()["fields"]


def test_a_finished_run_carries_its_diagnosis(client_of, learner, lab, make_run):
    """GET /api/v1/runs/<id>: results.diagnosis, stored when the run ended."""
    run = make_run(learner, lab)
    body = client_of.get(f"/api/v1/runs/{run.pk}").json()
    diagnosis = body["results"]["diagnosis"]
    assert diagnosis == run.results["diagnosis"] and diagnosis["version"] == 1
    assert diagnosis["bottleneck"] in ("cpu", "io", "blocking", "concurrency_limit", "generator", "batch", "none")
    assert diagnosis["steps"][0]["users"] == 20 and diagnosis["summary"]


def test_an_older_run_gets_a_diagnosis_computed_and_not_stored(client_of, learner, lab, make_run):
    """A run finished before the analysis existed: diagnosed on the fly from its samples, nothing written."""
    run = make_run(learner, lab)
    old = {k: v for k, v in run.results.items() if k != "diagnosis"}
    LabRun.objects.filter(pk=run.pk).update(results=old)
    body = client_of.get(f"/api/v1/runs/{run.pk}").json()
    assert body["results"]["diagnosis"]["steps"][0]["users"] == 20
    run.refresh_from_db()
    assert "diagnosis" not in run.results
    assert run.measurements()["warmup_s"] == body["results"]["diagnosis"]["warmup_s"] > 0


def test_the_schema_documents_the_diagnosis(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    diagnosis = schema["components"]["schemas"]["RunDiagnosis"]["properties"]
    assert diagnosis["bottleneck"] and diagnosis["first_breach"] and diagnosis["steps"]["items"]
    results = schema["components"]["schemas"]["LabRunResults"]["properties"]
    assert results["diagnosis"]

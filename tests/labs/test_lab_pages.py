"""Lab pages: the list, a lab's steps and run form, the live run page, results, questions and downloads."""

import json

import pytest

from labs.models import Lab, LabAnswer, LabRun, RunStatus

pytestmark = pytest.mark.django_db


def test_the_list_shows_every_lab(client):
    response = client.get("/labs/")
    assert response.status_code == 200
    for lab in Lab.objects.live():
        assert lab.title in response.content.decode()


def test_a_lab_page_offers_only_the_knobs_it_allows(learner_client):
    """Breaking point lets learners choose users, duration, Locust processes and CPU per request only."""
    html = learner_client.get("/labs/breaking-point/").content.decode()
    assert 'name="users"' in html and 'name="duration_s"' in html and 'name="api__cpu_ms"' in html
    assert 'name="spawn_rate"' not in html and 'name="api__delay_median_ms"' not in html
    assert 'max="120"' in html  # the lab's bound on users
    assert "Find the breaking point" in html and "Little&#x27;s law" in html  # steps rendered from Markdown
    assert 'data-preset="standard"' in html


def test_visitors_read_the_steps_and_are_asked_to_log_in(client):
    html = client.get("/labs/first-load-test/").content.decode()
    assert "Log in" in html and 'name="users"' not in html
    response = client.post("/labs/first-load-test/start", {"preset": "quick"})
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert not LabRun.objects.exists()


def test_the_form_starts_a_run_and_follows_it(learner_client, learner):
    """A valid form queues a run and redirects to its live page."""
    response = learner_client.post("/labs/first-load-test/start", {
        "users": 5, "spawn_rate": 5, "duration_s": 5, "api__delay_median_ms": 20, "api__delay_p99_ms": 80})
    run = LabRun.objects.get(user=learner)
    assert response.status_code == 302 and response["Location"] == f"/labs/runs/{run.pk}/"
    assert run.config["api"]["delay_p99_ms"] == 80 and run.status == RunStatus.QUEUED


def test_a_preset_button_starts_its_values(learner_client, learner):
    learner_client.post("/labs/breaking-point/start", {"preset": "heavier-requests"})
    run = LabRun.objects.get(user=learner)
    assert run.config["preset"] == "heavier-requests" and run.config["api"]["cpu_ms"] == 16
    assert run.config["env"]["MAX_USERS"] == "48" and run.config["env"]["STEP_USERS"] == "6"


def test_a_bad_form_says_what_is_wrong(learner_client):
    """Values outside the lab's bounds come back as a 400 with the field's error; nothing is queued."""
    response = learner_client.post("/labs/first-load-test/start", {
        "users": 500, "spawn_rate": 5, "duration_s": 5, "api__delay_median_ms": 100, "api__delay_p99_ms": 50})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 100" in html
    assert not LabRun.objects.exists()
    response = learner_client.post("/labs/first-load-test/start", {
        "users": 5, "spawn_rate": 5, "duration_s": 5, "api__delay_median_ms": 100, "api__delay_p99_ms": 50})
    assert response.status_code == 400 and "at least the median" in response.content.decode()


def test_a_second_run_goes_to_the_active_one(learner_client, learner, lab, make_run):
    active = make_run(learner, lab, status=RunStatus.RUNNING)
    response = learner_client.post("/labs/breaking-point/start", {"preset": "standard"})
    assert response["Location"] == f"/labs/runs/{active.pk}/"
    assert LabRun.objects.count() == 1


def test_a_live_run_page_polls_and_falls_back_to_a_refresh(learner_client, learner, lab, make_run):
    """While the run is active: progress, the latest numbers, charts' data, a cancel button, and a
    <noscript> refresh for browsers without JavaScript."""
    run = make_run(learner, lab, status=RunStatus.RUNNING)
    html = learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert 'id="run-progress"' in html and 'id="cancel-run"' in html
    assert 'data-stat="p99_ms">249 ms<' in html  # the last sample's window P99
    data = json.loads(html.split('id="lab-run-data" type="application/json">')[1].split("</script>")[0])
    assert len(data["samples"]) == 20
    assert "js/labs.js" in html and "chart.umd.min.js" in html


def test_a_finished_run_shows_results_and_questions_with_its_numbers(learner_client, learner, lab, make_run):
    run = make_run(learner, lab)
    html = learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert "noscript" not in html.split("</head>")[0]
    assert 'data-result="p99_ms">238 ms' in html and 'data-result="locust_p99_ms">240 ms' in html
    assert "Your run made <strong>400 requests</strong>" in html  # a checkpoint prompt filled from the run
    assert "Download JSON" in html and "Download samples (CSV)" in html
    assert "Load generator saturated" in html and 'data-live="saturation" hidden' in html


def test_a_saturated_generator_is_explained(learner_client, learner, lab, make_run):
    from tests.labs.conftest import samples

    run = make_run(learner, lab, sample_list=samples(cpu=96.0))
    html = learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert 'data-live="saturation" hidden' not in html and "for 20 s" in html
    assert "⚠ generator" in html


def test_answering_a_checkpoint_with_htmx_shows_feedback(learner_client, learner, lab, make_run):
    """The answer is graded against the run (1% of 400 = 4) and kept with it."""
    run = make_run(learner, lab)
    response = learner_client.post(f"/labs/runs/{run.pk}/answer/lab-first-slower-requests", {"answer": "4"},
                                   HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-verdict="correct"' in response.content.decode()
    assert LabAnswer.objects.get().run == run
    page = learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert "Your last answer: <code>4</code>" in page


def test_a_retried_checkpoint_answer_is_stored_once(learner_client, learner, lab, make_run):
    """The page sends the same idempotency key when it retries after a 503 or a dropped connection."""
    run = make_run(learner, lab)
    url = f"/labs/runs/{run.pk}/answer/lab-first-slower-requests"
    # A wrong answer: a correct one would settle the question (no further answers on this run).
    form = {"answer": "7", "idempotency_key": "0b6f4c1e-5a0d-4f3e-9c2b-7d8e1f2a3b4c"}
    first = learner_client.post(url, form, HTTP_HX_REQUEST="true")
    again = learner_client.post(url, form, HTTP_HX_REQUEST="true")
    assert 'data-verdict="incorrect"' in first.content.decode()
    assert 'data-verdict="incorrect"' in again.content.decode() and "2 attempts left" in again.content.decode()
    assert LabAnswer.objects.count() == 1
    learner_client.post(url, {**form, "idempotency_key": "1b6f4c1e-5a0d-4f3e-9c2b-7d8e1f2a3b4c"},
                        HTTP_HX_REQUEST="true")
    assert LabAnswer.objects.count() == 2  # a new submission is a new answer


def test_answering_without_javascript_comes_back_to_the_question(learner_client, learner, lab, make_run):
    run = make_run(learner, lab)
    response = learner_client.post(f"/labs/runs/{run.pk}/answer/lab-first-tail-ratio", {"answer": "2"})
    assert response.status_code == 302 and response["Location"].endswith("#q-lab-first-tail-ratio")
    assert LabAnswer.objects.get().verdict == "incorrect"  # 238.4 / 52.1 = 4.58


def test_a_failed_run_says_why(learner_client, learner, lab, make_run):
    run = make_run(learner, lab, status=RunStatus.FAILED)
    LabRun.objects.filter(pk=run.pk).update(failure_reason="The model API exited (code 2).", log_tail="boom")
    html = learner_client.get(f"/labs/runs/{run.pk}/").content.decode()
    assert "This run failed." in html and "The model API exited (code 2)." in html and "boom" in html


def test_downloads(learner_client, learner, lab, make_run):
    """JSON holds the run, its samples and results; the CSV one row a second."""
    run = make_run(learner, lab)
    response = learner_client.get(f"/labs/runs/{run.pk}/run.json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["results"]["p99_ms"] == 238.4 and len(data["samples"]) == 20
    csv = learner_client.get(f"/labs/runs/{run.pk}/samples.csv")
    assert csv["Content-Type"].startswith("text/csv") and len(csv.content.decode().splitlines()) == 21


def test_other_learners_runs_are_not_found(client, other_learner, learner, lab, make_run):
    run = make_run(learner, lab)
    client.force_login(other_learner)
    for url in (f"/labs/runs/{run.pk}/", f"/labs/runs/{run.pk}/run.json", f"/labs/runs/{run.pk}/samples.csv"):
        assert client.get(url).status_code == 404
    assert client.post(f"/labs/runs/{run.pk}/cancel").status_code == 404
    assert client.post(f"/labs/runs/{run.pk}/answer/lab-first-tail-ratio", {"answer": "4"}).status_code == 404


def test_earlier_runs_are_compared_side_by_side(learner_client, learner, lab, make_run):
    first = make_run(learner, lab, users=10)
    second = make_run(learner, lab, users=30)
    html = learner_client.get(f"/labs/runs/{second.pk}/").content.decode()
    table = html.split('class="runs-table"')[1].split("</table>")[0]
    assert f"#{first.pk}" in table and f"#{second.pk}" in table
    assert "10 users at 5/s" in table and "30 users at 5/s" in table and 'aria-current="true"' in table

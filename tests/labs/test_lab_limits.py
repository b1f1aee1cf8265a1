"""The site's lab caps hold for what actually runs (the scenario's worked-out settings and the Locust command
line), and queued runs are limited per learner and site-wide with a clear 429."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labs.loader import caps_from_settings
from labs.models import Lab, LabRun, RunStatus
from labs.params import Caps, command_cap_problems, validate_request
from labs.runner import RunSession

pytestmark = pytest.mark.django_db


def test_breaking_point_with_120_users_is_refused_for_its_computed_spawn_rate(api_client, learner):
    """120 users make SPAWN_RATE = ceil(120/8)*4 = 60, above LAB_MAX_SPAWN_RATE=50: a 400 naming it."""
    api_client.force_authenticate(learner)
    response = api_client.post("/api/v1/labs/breaking-point/runs", {"users": 120}, format="json")
    assert response.status_code == 400, response.json()
    message = response.json()["fields"]["env.SPAWN_RATE"]
    assert "60" in str(message) and "50" in str(message)
    assert not LabRun.objects.exists()


def test_breaking_point_within_the_caps_still_starts(api_client, learner):
    """96 users: SPAWN_RATE = 48, within the cap."""
    api_client.force_authenticate(learner)
    response = api_client.post("/api/v1/labs/breaking-point/runs", {"users": 96}, format="json")
    assert response.status_code == 201, response.json()


def test_every_lab_default_and_preset_is_within_the_caps():
    """The shipped labs run at their defaults and presets on a site with the default caps."""
    for lab in Lab.objects.live():
        spec = lab.spec()
        for body in [{}] + [{"preset": p.id} for p in spec.presets]:
            checked = validate_request(spec, body, caps_from_settings())
            assert checked.ok, (lab.slug, body, checked.errors)


def test_the_command_line_check_reads_every_flag_and_variable():
    """The last check before Locust starts: users, spawn rate, run time, processes and the capped variables."""
    caps = Caps(users=10, spawn_rate=5, duration_s=30, workers=2)
    argv = ["locust", "--users", "11", "--spawn-rate", "6", "--run-time", "31s", "--processes", "3"]
    problems = command_cap_problems(argv, {"SPIKE_USERS": "12", "RATE": "1000"}, caps)
    assert len(problems) == 5 and any("SPIKE_USERS" in p for p in problems)
    assert command_cap_problems(["locust", "--users", "10", "--run-time", "30s"], {"SPAWN_RATE": "5"}, caps) == []


def test_the_runner_refuses_a_stored_config_beyond_the_caps(learner, settings):
    """A run whose stored configuration passes the caps (caps lowered since, or a bug upstream) fails with
    the reason instead of starting Locust."""
    lab = Lab.objects.get(slug="breaking-point")
    checked = validate_request(lab.spec(), {"users": 96}, caps_from_settings())
    run = LabRun.objects.create(lab=lab, user=learner, config=checked.config, created_at=timezone.now(),
                                status=RunStatus.QUEUED)
    settings.LAB_MAX_SPAWN_RATE = 40
    outcome = RunSession(run).perform()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "SPAWN_RATE" in run.failure_reason, outcome
    assert not run.process_groups


def _queued(user, lab, minutes_ago=0):
    return LabRun.objects.create(lab=lab, user=user, config={}, status=RunStatus.QUEUED,
                                 created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_the_site_wide_queue_limit_is_a_429(api_client, learner, django_user_model, settings):
    """With LAB_MAX_QUEUED_RUNS runs waiting, another learner's run is a 429 with Retry-After."""
    settings.LAB_MAX_QUEUED_RUNS = 3
    lab = Lab.objects.live().first()
    for n in range(3):
        _queued(django_user_model.objects.create_user(f"hog{n}", password="x"), lab)
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/v1/labs/{lab.slug}/runs", {}, format="json")
    assert response.status_code == 429 and response["Retry-After"]
    assert "busy" in response.json()["error"]
    assert not LabRun.objects.filter(user=learner).exists()


def test_the_per_learner_hourly_limit_is_a_429_on_the_page_too(client, learner, settings):
    """Past LAB_RUNS_PER_USER_PER_HOUR runs, the page answers 429 with the message; an hour later it works."""
    settings.LAB_RUNS_PER_USER_PER_HOUR = 2
    lab = Lab.objects.live().first()
    for minutes in (50, 10):
        run = _queued(learner, lab, minutes)
        run.status = RunStatus.SUCCEEDED
        run.save()
    client.force_login(learner)
    response = client.post(f"/labs/{lab.slug}/start", {"preset": lab.spec().presets[0].id}
                           if lab.spec().presets else {})
    assert response.status_code == 429
    assert "runs in the last hour" in response.content.decode()
    assert 500 <= int(response["Retry-After"]) <= 601
    LabRun.objects.filter(user=learner).update(created_at=timezone.now() - timedelta(hours=2))
    assert client.post(f"/labs/{lab.slug}/start", {"preset": lab.spec().presets[0].id}
                       if lab.spec().presets else {}).status_code == 302

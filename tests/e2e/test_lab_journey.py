"""A learner opens a lab, runs it, watches the chart fill in live, and answers a checkpoint question
graded against the numbers of that very run."""

import re

import pytest
from playwright.sync_api import expect

from labs.models import LabRun
from tests.labs.workers import Worker

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(site, tmp_path, settings):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    running = Worker(tmp_path, tmp_path / "labs.lock")
    yield running
    running.stop()


def test_run_a_lab_watch_it_live_and_answer_with_its_numbers(site, page, worker, django_user_model):
    django_user_model.objects.create_user("labber", "labber@example.com", "a-long-pass-phrase-42")
    page.goto(site.url + "/accounts/login/?next=/labs/")
    page.get_by_label("Username").fill("labber")
    page.get_by_label(re.compile(r"^Password")).fill("a-long-pass-phrase-42")
    page.locator("main").get_by_role("button", name=re.compile("Log in")).click()

    expect(page).to_have_url(re.compile(r"/labs/$"))
    page.get_by_role("link", name="Your first load test").click()
    expect(page.get_by_role("heading", name="Steps")).to_be_visible()
    page.get_by_label(re.compile("^Users")).fill("8")
    page.get_by_label(re.compile("^Spawn rate")).fill("8")
    page.get_by_label(re.compile("^Duration")).fill("6")
    page.get_by_label(re.compile("median")).fill("20")
    page.get_by_label(re.compile("P99")).fill("80")
    page.get_by_role("button", name="Start the run").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))

    # Live: the charts gain a point a second and the tiles follow, without reloading the page.
    # A function, not an expression: Playwright evals expressions in the page, which the CSP forbids.
    page.wait_for_function("() => window.labCharts && window.labCharts.rps.data.labels.length >= 2", timeout=30_000)
    expect(page.locator('[data-stat="users"]')).to_have_text("8")
    expect(page.locator('[data-live="status"]')).to_have_text("Running")

    # At the end the page reloads with the results and the checkpoint questions.
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=45_000)
    run = LabRun.objects.get(user__username="labber")
    assert run.status == "succeeded"
    requests = run.results["requests"]
    # Once the run has ended the tiles hold the whole run's figures, the same as the results table.
    tiles = page.locator('.tiles[data-scope="whole-run"]')
    expect(tiles.locator('[data-stat="p99_ms"]')).to_have_text(page.locator('[data-result="p99_ms"]').inner_text())
    expect(tiles.locator('[data-stat="requests"]')).to_have_text(f"{requests:,}")
    # The run explained: the "What happened" panel holds the diagnosis the analysis stored with the run.
    panel = page.locator("#what-happened")
    expect(panel.get_by_role("heading", name="What happened")).to_be_visible()
    bottleneck = {"cpu": "CPU-bound", "io": "I/O-bound", "blocking": "Blocked event loop", "none": "Never saturated",
                  "concurrency_limit": "Concurrency limit (503s)", "generator": "Load generator saturated"}
    expect(panel.locator('[data-diagnosis="bottleneck"]')).to_have_text(bottleneck[run.results["diagnosis"]["bottleneck"]])
    question = page.locator("#q-lab-first-slower-requests")
    expect(question).to_contain_text(f"Your run made {requests:,} requests")
    question.get_by_label(re.compile("Your answer")).fill(f"{requests * 0.01:.2f}")
    question.get_by_role("button", name="Check answer").click()
    expect(page.locator("#feedback-lab-first-slower-requests article")).to_have_attribute("data-verdict", "correct")
    assert run.answers.get().question.slug == "lab-first-slower-requests"

"""A learner types the tutorial's MLUser into the exercise editor, presses Ctrl+Enter, and watches the checks
pass, answered from the traffic the locustfile sent in the sandbox (real bubblewrap, model API, Locust)."""

import re

import pytest
from playwright.sync_api import expect

from exercises.models import Submission
from tests.labs.workers import Worker

pytestmark = pytest.mark.slow

# The lines as typed: the editor indents after a colon and keeps the indentation of the line above.
TYPED = [
    "from locust import HttpUser, between, task", "", "", "class MLUser(HttpUser):",
    "wait_time = between(1, 2)", "@task", "def predict(self):",
    'self.client.post("/predict", json={"sqft": 1500, "bedrooms": 3, "location": "NY"}',
]


@pytest.fixture
def worker(site, tmp_path, settings):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")
    running = Worker(tmp_path, tmp_path / "labs.lock")
    yield running
    running.stop()


def test_write_the_mluser_in_the_editor_run_it_and_see_the_checks_pass(site, page, worker, django_user_model):
    from labs.sandbox import availability

    if availability():
        pytest.fail(f"the sandbox is unavailable here: {availability()}")
    django_user_model.objects.create_user("writer", "writer@example.com", "a-long-pass-phrase-42")
    page.goto(site.url + "/accounts/login/?next=/exercises/write-mluser/")
    page.get_by_label("Username").fill("writer")
    page.get_by_label(re.compile(r"^Password")).fill("a-long-pass-phrase-42")
    page.locator("main").get_by_role("button", name=re.compile("Log in")).click()
    expect(page).to_have_url(re.compile(r"/exercises/write-mluser/$"))

    editor = page.locator(".cm-content")  # CodeMirror replaced the textarea
    expect(editor).to_be_visible()
    expect(page.locator(".cm-lineNumbers")).to_be_visible()
    editor.click()
    for number, line in enumerate(TYPED):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line)
    # The closing bracket was typed by the learner (no auto-close in this editor): the text is the solution.
    page.keyboard.type(")")
    source = page.locator("#locustfile").input_value()
    assert "    wait_time = between(1, 2)\n" in source and "        self.client.post(" in source
    compile(source, "locustfile.py", "exec")
    assert page.locator(".cm-content .tok-keyword, .cm-content [class*='ͼ']").count() > 0  # highlighted

    page.keyboard.press("Control+Enter")
    expect(page.locator('#live [data-live="status"]')).to_have_text(re.compile("Queued|Running"))
    expect(page.locator('[data-check="file"]')).to_have_attribute("data-passed", "yes")
    for check in ("runs", "predictions", "valid-json", "wait-time"):
        expect(page.locator(f'[data-check="{check}"]')).to_have_attribute("data-passed", "yes", timeout=90_000)
    expect(page.locator('#live [data-live="status"]')).to_have_text("Passed")
    expect(page.locator("#live-output")).not_to_be_empty()
    expect(page.locator("#solution")).to_have_attribute("open", "")
    submission = Submission.objects.get(user__username="writer")
    assert submission.status == "passed" and submission.requests >= 10
    message = page.locator('[data-check="predictions"] .check-message').inner_text()
    assert re.fullmatch(r"\d+ requests to POST /predict answered 200\.", message)

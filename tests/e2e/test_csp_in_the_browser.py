"""Under the strict Content-Security-Policy, the pages that run the most script work in a real browser and
the browser reports no violation: the home page, a question answered through htmx, a quiz with its timer,
flashcards, and the offline API docs (Swagger UI)."""

import pytest

from quizsite.quizzes.models import Quiz


def _watch_violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return seen


@pytest.mark.e2e
def test_pages_work_under_the_csp_without_violations(site, page, django_user_model):
    """No CSP report in the console on script-heavy pages; htmx still swaps the feedback in."""
    violations = _watch_violations(page)
    django_user_model.objects.create_user("csp", password="a-long-pass-phrase-42")
    page.goto(f"{site.url}/accounts/login/")
    page.fill("#id_username", "csp")
    page.fill("#id_password", "a-long-pass-phrase-42")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site.url}/")
    question = next(q for q in Quiz.objects.curated().first().ordered_questions() if q.is_choice)
    page.goto(f"{site.url}/questions/{question.slug}/")
    page.locator("input[name=answer]").first.check()
    page.locator("form.answer-form button[type=submit]").first.click()
    page.wait_for_selector("[data-verdict], .feedback")
    for path in ("/cards/", "/cards/stats/", "/interviews/", "/labs/", "/exercises/write-mluser/"):
        page.goto(f"{site.url}{path}")
        page.wait_for_load_state("load")
    assert violations == []


@pytest.mark.e2e
def test_the_api_docs_render_offline_under_their_policy(site, page):
    """Swagger UI loads from the sidecar files and lists the API's operations, with no CSP violation."""
    violations = _watch_violations(page)
    page.goto(f"{site.url}/api/docs/")
    page.wait_for_selector(".opblock-summary", timeout=20_000)
    assert page.locator(".opblock-summary").count() > 10
    assert violations == []

"""Every page ships a Content-Security-Policy (script-src 'self', no inline script or event handler in the
HTML) and a Permissions-Policy; private pages (anything signed in, the interviewer's pages) are no-store."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from exercises.models import Exercise, Submission, SubmissionStatus
from labs.models import Lab, LabRun, RunStatus
from quizsite.interviews.models import Interview, Track
from quizsite.interviews.services import finish_interview
from quizsite.journey.lessons import lessons_dir
from quizsite.quizzes.models import Attempt, Quiz

pytestmark = pytest.mark.django_db

# Routes that are not pages: form actions (POST only), downloads and JSON.
NOT_PAGES = {
    "questions-answer", "questions-flag", "quizzes-build", "quizzes-start", "quizzes-attempt-finish",
    "cards-rate", "cards-undo", "cards-export", "cards-import", "cards-personal-add", "cards-personal-delete",
    "interviews-start", "interviews-save", "interviews-next", "interviews-finish", "interviews-scorecard-md",
    "interviews-link", "interviews-interviewer-ticks", "interviews-interviewer-override",
    "interviews-interviewer-notes", "interviews-interviewer-scorecard-md", "interviews-interviewer-live",
    "labs-run-cancel", "labs-run-answer", "labs-run-json", "labs-run-csv", "labs-start", "accounts-logout",
    "accounts-token-revoke", "accounts-logout-everywhere", "api-schema", "journey-lesson-read", "favicon",
    "exercises-submit", "exercises-submission-edit",
}
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _route_names(patterns, skip_admin=True) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if skip_admin and str(pattern.pattern).startswith("admin/") or str(pattern.pattern) == "api/v1/":
                continue
            names |= _route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


@pytest.fixture
def pages(learner):
    """Every page of the site by route name, with the learner's own objects behind it."""
    now = timezone.now()
    quiz = Quiz.objects.curated().first()
    question = quiz.ordered_questions()[0]
    attempt = Attempt.start(quiz, "practice", learner, "", now)
    finished = Attempt.start(quiz, "practice", learner, "", now)
    finished.finish(now)
    interview = Interview.start(learner, Track.LOAD_LATENCY, 30, 2, now, with_interviewer=True)
    done = Interview.start(learner, Track.LOAD_LATENCY, 30, 2, now, with_interviewer=True)
    finish_interview(done, now)
    lab = Lab.objects.live().first()
    run = LabRun.objects.create(lab=lab, user=learner, status=RunStatus.FAILED, config={}, created_at=now)
    exercise = Exercise.objects.live().first()
    submission = Submission.objects.create(exercise=exercise, user=learner, source=exercise.solution,
                                           status=SubmissionStatus.FAILED, created_at=now)
    signed_in = {
        "home": "/", "questions-list": "/questions/", "questions-detail": f"/questions/{question.slug}/",
        "quizzes-list": "/quizzes/", "quizzes-detail": f"/quizzes/{quiz.slug}/",
        "quizzes-attempt-question": f"/attempts/{attempt.pk}/q/1", "quizzes-attempt": f"/attempts/{finished.pk}/",
        "quizzes-history": "/history/", "cards-review": "/cards/", "cards-stats": "/cards/stats/",
        "cards-decks": "/cards/decks/", "cards-settings": "/cards/settings/", "interviews-list": "/interviews/",
        "interviews-detail": f"/interviews/{interview.pk}/", "interviews-scorecard": f"/interviews/{done.pk}/scorecard",
        "labs-list": "/labs/", "labs-detail": f"/labs/{lab.slug}/", "labs-run": f"/labs/runs/{run.pk}/",
        "accounts-password-change": "/accounts/password/", "accounts-password-change-done": "/accounts/password/done/",
        "accounts-security": "/accounts/security/", "api-docs": "/api/docs/",
        "labs-compare": f"/labs/{lab.slug}/compare/",
        "exercises-list": "/exercises/", "exercises-detail": f"/exercises/{exercise.slug}/",
        "exercises-submission": f"/exercises/submissions/{submission.pk}/",
    }
    anonymous = {
        "accounts-login": "/accounts/login/", "accounts-signup": "/accounts/signup/",
        "interviews-interviewer": interview.interviewer_path(),
        "interviews-interviewer-scorecard": done.interviewer_path() + "scorecard",
        "not-found": "/no/such/page/", "bad-request": "/questions/?q=%00",
        "accounts-password-reset": "/accounts/password/reset/",
        "accounts-password-reset-done": "/accounts/password/reset/sent/",
        "accounts-password-reset-confirm": "/accounts/password/reset/MQ/not-a-token/",
        "accounts-password-reset-complete": "/accounts/password/reset/done/",
        "journey-lesson": f"/lessons/{next(lessons_dir().glob('*.md')).stem}/",
    }
    return signed_in, anonymous


def _assert_csp_page(response, url):
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src.split() == ["'self'"], (url, policy)
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    html = response.content.decode()
    for attributes in SCRIPT_TAG.findall(html):
        assert "src=" in attributes or 'type="application/json"' in attributes, (url, attributes)
    assert not EVENT_HANDLER.search(html), (url, EVENT_HANDLER.search(html))
    assert "javascript:" not in html, url


def test_every_page_has_a_strict_csp_and_no_inline_script(client, learner, pages):
    """Signed in and anonymous, every page: script-src 'self' only, Permissions-Policy, and no inline script,
    event handler or javascript: URL in the HTML. Every route is a page here or listed as not a page."""
    signed_in, anonymous = pages
    uncovered = _route_names(get_resolver().url_patterns) - set(signed_in) - set(anonymous) - NOT_PAGES
    assert not uncovered, f"pages without a CSP check: {sorted(uncovered)}"
    client.force_login(learner)
    for name, url in signed_in.items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        _assert_csp_page(response, url)
        assert "no-store" in response["Cache-Control"], (name, url)
    browser = Client()
    for name, url in anonymous.items():
        response = browser.get(url)
        assert response.status_code in (200, 400, 404), (name, url, response.status_code)
        _assert_csp_page(response, url)


def test_the_interviewers_pages_are_no_store_and_public_pages_are_not(client, learner, pages):
    """The interviewer is not signed in, yet their pages are private; the public home page may be cached."""
    _, anonymous = pages
    for name in ("interviews-interviewer", "interviews-interviewer-scorecard"):
        assert "no-store" in client.get(anonymous[name])["Cache-Control"]
    assert "no-store" not in client.get("/questions/").get("Cache-Control", "")


def test_api_responses_carry_the_headers_too(api_client, learner):
    """JSON responses also carry the policy headers; a signed-in API response is no-store."""
    api_client.force_authenticate(learner)
    response = api_client.get("/api/v1/interviews/")
    assert response["Content-Security-Policy"] and response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_admin_has_the_policy(client, staff_author):
    """The admin ships the same policy and works under it (Django's admin has no inline script)."""
    client.force_login(staff_author)
    response = client.get("/admin/")
    assert response.status_code == 200
    _assert_csp_page(response, "/admin/")

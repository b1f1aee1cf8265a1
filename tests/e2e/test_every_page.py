"""Every page, as a person on a laptop (1280x800) and on a phone (390x844) meets it: axe-core finds no serious
or critical accessibility violation (contrast included), and on the phone nothing scrolls sideways.

The pages come from the URLconf: public pages, a question of each type (and one answered), a quiz in both
modes and its results, flashcards with the answer shown, an interview with its interviewer's view and a
scorecard, the labs with a finished run, and the account pages. axe-core is vendored under static/vendor/axe
and injected here only; no page a learner loads includes it.

Set BP_AUDIT_DIR to a folder to keep a screenshot of every page at both sizes and a JSON report.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from labs import results
from labs.models import Lab, LabRun, RunSample, RunStatus
from quizsite.interviews.models import Interview, Track
from quizsite.questions.models import Question
from quizsite.quizzes.models import Attempt, Mode, Quiz

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe" / "axe.min.js"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}
BAD_IMPACTS = {"serious", "critical"}

pytestmark = pytest.mark.slow


def _session_cookie(site, user) -> dict:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": site.url}


def _public_pages() -> list[tuple[str, str]]:
    pages = [("home", "/"), ("questions", "/questions/"), ("quizzes", "/quizzes/"), ("labs", "/labs/"),
             ("lab-first", "/labs/first-load-test/"), ("lab-breaking-point", "/labs/breaking-point/"),
             ("quiz-lesson", "/quizzes/load-testing-lesson/"), ("history-anonymous", "/history/"),
             ("login", "/accounts/login/"), ("signup", "/accounts/signup/"), ("not-found", "/no-such-page/")]
    for kind in Question.Type.values:
        question = Question.objects.bank().filter(type=kind).order_by("slug").first()
        pages.append((f"question-{kind}", question.get_absolute_url()))
    return pages + [(name, url) for name, url in EXTRA_PUBLIC_PAGES]


# Pages other features add (the lesson, password reset) join the audit here.
EXTRA_PUBLIC_PAGES: list[tuple[str, str]] = [
    ("lesson", "/lessons/load-testing-with-locust/"),
    ("password-reset", "/accounts/password/reset/"), ("password-reset-sent", "/accounts/password/reset/sent/"),
    ("password-reset-bad-link", "/accounts/password/reset/MQ/bad-token/"),
    ("exercises", "/exercises/"), ("exercise-mluser", "/exercises/write-mluser/"),
]


def _learner_pages(site, user) -> list[tuple[str, str]]:
    now = timezone.now()
    quiz = Quiz.objects.get(slug="load-testing-lesson")
    practice = Attempt.start(quiz, Mode.PRACTICE, user, "", now)
    exam = Attempt.start(quiz, Mode.EXAM, user, "", now, time_limit_s=1200)
    finished = Attempt.start(quiz, Mode.PRACTICE, user, "", now - timedelta(minutes=5))
    first = quiz.ordered_questions()[0]
    from quizsite.quizzes.services import Learner, answer_in_attempt

    learner = Learner(user=user, session_key="")
    answer_in_attempt(finished, first, first.public_choices()[0]["id"] if first.is_choice else "10", learner, now)
    finished.finish(now)

    interview = Interview.start(user, Track.LOAD_LATENCY, 20, 2, now, with_interviewer=True, seed="audit")
    done = Interview.start(user, Track.LOAD_LATENCY, 20, 2, now - timedelta(minutes=3), seed="audit-done")
    done.save_answer("I would measure P99 latency under a ramp of users and find the knee.", now)
    done.finish(now)
    run = _finished_run(user)
    baseline, heavier = _diagnosed_runs(user)
    return [
        ("home-signed-in", "/"), ("history", "/history/"),
        ("quiz-practice", f"/attempts/{practice.pk}/q/1"), ("quiz-exam", f"/attempts/{exam.pk}/q/1"),
        ("quiz-results", f"/attempts/{finished.pk}/"),
        ("cards", "/cards/"), ("cards-stats", "/cards/stats/"), ("cards-decks", "/cards/decks/"),
        ("cards-settings", "/cards/settings/"),
        ("interviews", "/interviews/"), ("interview", f"/interviews/{interview.pk}/"),
        ("interviewer", interview.interviewer_path()), ("scorecard", f"/interviews/{done.pk}/scorecard"),
        ("lab-run", f"/labs/runs/{run.pk}/"), ("password-change", "/accounts/password/"),
        ("lab-run-diagnosed", f"/labs/runs/{heavier.pk}/"),
        ("lab-compare", f"/labs/breaking-point/compare/?a={baseline.pk}&b={heavier.pk}"),
        ("exercise-signed-in", "/exercises/catch-response/"),
        ("submission", f"/exercises/submissions/{_finished_submission(user).pk}/"),
    ] + [(name, url) for name, url in EXTRA_LEARNER_PAGES]


def _finished_submission(user):
    """A failed submission of the first exercise, with its checks answered as the runner answers them."""
    from exercises.checks import Evidence, run_checks
    from exercises.models import Exercise, Submission, SubmissionStatus

    exercise = Exercise.objects.get(slug="write-mluser")
    source = exercise.solution.replace("between(1, 2)", "between(0, 1)")
    requests = [{"t": t / 2, "method": "POST", "path": "/predict", "status": 200, "client": f"c{t % 3}",
                 "token": None, "body_valid": True, "error": None} for t in range(40)]
    checks = run_checks(exercise.checks, Evidence(source=source, requests=requests, users=5, duration_s=12))
    return Submission.objects.create(
        exercise=exercise, user=user, source=source, status=SubmissionStatus.FAILED, run=exercise.run,
        checks=[c.to_dict() for c in checks], output="Type     Name      # reqs\nPOST     /predict      40\n",
        requests=40, created_at=timezone.now(), finished_at=timezone.now())


EXTRA_LEARNER_PAGES: list[tuple[str, str]] = [("lesson-signed-in", "/lessons/load-testing-with-locust/")]


def _finished_run(user) -> LabRun:
    """A succeeded run of the first lab with per-second samples, built as the runner builds one."""
    from tests.labs.conftest import METRICS, SUMMARY, config, samples

    lab = Lab.objects.get(slug="first-load-test")
    now = timezone.now()
    run_config = config(lab)
    rows = samples()
    run = LabRun.objects.create(lab=lab, user=user, status=RunStatus.SUCCEEDED, config=run_config,
                                created_at=now - timedelta(seconds=30), started_at=now - timedelta(seconds=29),
                                running_at=now - timedelta(seconds=28), heartbeat_at=now, finished_at=now)
    RunSample.objects.bulk_create(RunSample(run=run, **row) for row in rows)
    run.results = results.build(SUMMARY, rows, METRICS, 12.5, run_config, lab.slo_ms, {"python": "3.12"})
    run.save()
    return run


def _diagnosed_runs(user) -> tuple[LabRun, LabRun]:
    """Two runs of the breaking-point lab with a "What happened" panel: 8 and 16 ms of CPU a request."""
    from tests.labs.conftest import METRICS, SUMMARY, config, diagnosis, step_samples

    lab = Lab.objects.get(slug="breaking-point")
    made = []
    for cpu_ms, capacity in ((8, 110.0), (16, 55.0)):
        now = timezone.now()
        run_config = config(lab, api={"cpu_ms": cpu_ms})
        rows = step_samples(capacity=capacity)
        run = LabRun.objects.create(lab=lab, user=user, status=RunStatus.SUCCEEDED, config=run_config,
                                    created_at=now - timedelta(seconds=45), started_at=now - timedelta(seconds=44),
                                    running_at=now - timedelta(seconds=42), heartbeat_at=now, finished_at=now)
        RunSample.objects.bulk_create(RunSample(run=run, **row) for row in rows)
        run.results = results.build(SUMMARY, rows, METRICS, 95.0, run_config, lab.slo_ms, {"python": "3.12"})
        run.results["diagnosis"] = diagnosis(plateau_rps=capacity)
        run.save()
        made.append(run)
    return made[0], made[1]


def _prepare(page, name: str) -> None:
    """Put the page in the state a learner looks at: answers shown, feedback on screen."""
    if name == "cards":
        summary = page.locator("#card-back summary")
        if summary.count():
            summary.click()
    elif name == "question-rubric":
        page.locator("textarea[name=answer]").fill("I would ramp users until P99 breaks the SLO and find the knee.")
        page.locator("form[data-answer-form] button[type=submit]").click()
        page.locator("#feedback article, #feedback [role=alert]").first.wait_for()


def _audit(page, name: str, url: str, size: str, report: dict, shots: Path | None) -> list[str]:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    _prepare(page, name)
    problems = []
    if size == "phone":
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wide = page.evaluate(
                """(w) => Array.from(document.querySelectorAll('body *'))
                     .filter(e => e.getBoundingClientRect().right > w + 1 && e.offsetParent !== null)
                     .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
                width)
            problems.append(f"{name} at {size}: {scroll_width} px wide (> {width}); widest: {wide}")
    if name == "cards":
        try:
            page.wait_for_function(
                "(h) => { const b = document.querySelector(\"button[data-rating='3']\").getBoundingClientRect();"
                " return b.top >= 0 && b.bottom <= h; }", arg=height, timeout=5_000)
        except PlaywrightTimeout:
            box = page.locator("button[data-rating='3']").bounding_box()
            problems.append(f"cards at {size}: after the flip the rating buttons are off screen ({box})")
    # Evaluated from the driver, not added as an inline <script>: the site's CSP (script-src 'self') blocks those.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in BAD_IMPACTS]
    report[f"{name}@{size}"] = {
        "url": url, "violations": {v["id"]: (v["impact"], len(v["nodes"])) for v in result["violations"]},
    }
    for v in bad:
        targets = [n["target"] for n in v["nodes"][:3]]
        problems.append(f"{name} at {size}: {v['impact']} {v['id']} ({len(v['nodes'])} nodes) {targets}")
    if shots:
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    return problems


@pytest.mark.timeout(900)  # one browser walk over every page, two widths, axe on each: minutes on a busy machine
def test_every_page_is_accessible_and_fits_a_phone(site, browser, django_user_model):
    """No serious or critical axe violation on any page at either size; nothing wider than a phone."""
    shots = Path(os.environ["BP_AUDIT_DIR"]) if os.environ.get("BP_AUDIT_DIR") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    user = django_user_model.objects.create_user("auditor", "auditor@example.com", "a-long-pass-phrase-42")
    report: dict = {}
    problems: list[str] = []
    groups = [(None, _public_pages()), (user, _learner_pages(site, user))]
    for who, pages in groups:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        if who:
            context.add_cookies([_session_cookie(site, who)])
        page = context.new_page()
        try:
            for name, path in pages:
                for size in SIZES:
                    problems += _audit(page, name, site.url + path, size, report, shots)
        finally:
            context.close()
    if shots:
        (shots / "report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    assert not problems, "\n".join(problems)


def test_a_rejected_lab_form_puts_its_error_in_view_with_focus(site, browser, django_user_model):
    """Starting a lab with too many users re-renders the form: the invalid field has focus and is on screen."""
    user = django_user_model.objects.create_user("runner", "runner@example.com", "a-long-pass-phrase-42")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([_session_cookie(site, user)])
    page = context.new_page()
    try:
        page.goto(site.url + "/labs/first-load-test/")
        field = page.locator("form.run-form input[name=users]")
        field.fill("100000")
        page.locator("#start-run").click()
        page.locator("form.run-form [aria-invalid=true]").first.wait_for()
        focused = page.evaluate("document.activeElement.getAttribute('name')")
        assert focused == "users"
        box = page.locator("form.run-form input[name=users]").bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 844
    finally:
        context.close()


def test_the_phone_menu_opens_and_closes(site, browser):
    """At 390 px the main links hide behind a Menu button that says whether it is expanded."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(site.url + "/")
        links = page.locator("#site-links")
        toggle = page.get_by_role("button", name="Menu")
        assert not links.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert links.get_by_role("link", name="Flashcards").is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        header_height = page.locator("header.site-header").bounding_box()["height"]
        toggle.click()
        assert not links.is_visible()
        assert page.locator("header.site-header").bounding_box()["height"] < header_height
        assert page.locator("header.site-header").bounding_box()["height"] < 844 / 8
    finally:
        context.close()


def test_the_results_chart_labels_every_bar_and_shows_a_zero_topic(site, browser, django_user_model):
    """Quiz results by topic: every bar carries its value ("0%" included) and a 0% topic still has a
    visible bar, so no topic silently disappears from the chart."""
    from quizsite.quizzes.services import Learner, answer_in_attempt

    user = django_user_model.objects.create_user("charted", "charted@example.com", "a-long-pass-phrase-42")
    now = timezone.now()
    quiz = Quiz.objects.get(slug="load-testing-lesson")
    attempt = Attempt.start(quiz, Mode.PRACTICE, user, "", now)
    first = quiz.ordered_questions()[0]
    right = [c["id"] for c in first.spec["choices"] if c.get("correct")]
    answer_in_attempt(attempt, first, right[0] if first.type == "single" else right, Learner(user, ""), now)
    attempt.finish(now)
    expected = [f"{round(row['score'] * 100)}%" for row in attempt.results_by_topic()]
    assert "0%" in expected and any(label != "0%" for label in expected)

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([_session_cookie(site, user)])
    page = context.new_page()
    try:
        page.goto(f"{site.url}/attempts/{attempt.pk}/")
        page.wait_for_function("() => { const c = Chart.getChart('topic-chart'); return c && c.$valueLabels; }")
        labels = page.evaluate("Chart.getChart('topic-chart').$valueLabels")
        widths = page.evaluate(
            "Chart.getChart('topic-chart').getDatasetMeta(0).data.map(b => Math.abs(b.x - b.base))")
        assert labels == expected
        assert min(widths) >= 3
    finally:
        context.close()


def test_double_clicking_check_answer_posts_once(site, browser):
    """The answer button is disabled while its post is in flight: a double-click stores one answer."""
    from quizsite.quizzes.models import Answer

    question = Question.objects.bank().filter(type=Question.Type.RUBRIC).order_by("slug").first()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + question.get_absolute_url())
        page.locator("textarea[name=answer]").fill("I would ramp users until P99 breaks the SLO and find the knee.")
        page.locator("form[data-answer-form] button[type=submit]").dblclick()
        page.locator("#feedback article.feedback").wait_for()
        page.wait_for_timeout(1500)  # a second post, if one had been sent, has landed by now
        assert Answer.objects.filter(question=question).count() == 1
    finally:
        context.close()

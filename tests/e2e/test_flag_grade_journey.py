"""A visitor thinks a grade is wrong and says so under the feedback, without leaving the page."""

from playwright.sync_api import expect

WRONG = "P99 is the average latency of the slowest 1% of requests, the typical latency users see."


def test_flag_a_grade_in_place_with_a_comment(site, page):
    from quizsite.questions.models import GradeFlag

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.url + "/questions/what-is-p99/")
    page.get_by_label("Your answer").fill(WRONG)
    page.keyboard.press("Control+Enter")
    feedback = page.locator("#feedback article")
    expect(feedback).to_be_visible()
    url = page.url

    feedback.get_by_text("I think this grade is wrong").click()
    feedback.get_by_label("What did the grader get wrong?").fill("I meant the 99th percentile")
    feedback.get_by_role("button", name="Flag this grade").click()
    expect(feedback.get_by_text("this grade is flagged")).to_be_visible()
    assert page.url == url  # swapped in place by htmx, no navigation
    flag = GradeFlag.objects.get()
    assert flag.comment == "I meant the 99th percentile" and flag.answer_text == WRONG
    assert errors == []


def test_a_refused_flag_says_why_in_place(site, page, settings):
    """Past the daily cap (429) the form shows the reason under the grade instead of doing nothing."""
    settings.GRADE_FLAGS_PER_DAY = 0
    page.goto(site.url + "/questions/what-is-p99/")
    page.get_by_label("Your answer").fill(WRONG)
    page.keyboard.press("Control+Enter")
    feedback = page.locator("#feedback article")
    expect(feedback).to_be_visible()

    feedback.get_by_text("I think this grade is wrong").click()
    feedback.get_by_role("button", name="Flag this grade").click()
    expect(feedback.get_by_role("alert").filter(has_text="You can flag at most 0 grades a day")).to_be_visible()

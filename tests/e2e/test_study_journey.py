"""A new learner signs up, takes the lesson quiz in practice mode and gets a free-text answer graded."""

import re

from playwright.sync_api import expect

ANSWER = (
    "P99 is the 99th percentile of latency, so 99% of requests finish at or below it and 1 in 100 is slower. "
    "The average hides the tail, and at scale it matters: with 1M users, 10,000 of them hit it."
)


def test_sign_up_take_lesson_quiz_and_get_concept_feedback(site, page):
    page.goto(site.url + "/accounts/signup/")
    page.get_by_label("Username").fill("journey")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-pass-phrase-42")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-42")
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome, journey")).to_be_visible()

    page.get_by_role("link", name="Quizzes").first.click()
    page.get_by_role("link", name="Lesson: load testing with Locust").click()
    page.get_by_label(re.compile("Practice")).check()
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/q/1$"))

    # Walk forward with the keyboard shortcut until the free-text P99 question.
    for _ in range(20):
        if page.get_by_role("heading", name=re.compile("What is P99")).count():
            break
        with page.expect_navigation():
            page.keyboard.press("n")
    expect(page.get_by_role("heading", name=re.compile("What is P99"))).to_be_visible()

    page.get_by_label("Your answer").fill(ANSWER)
    page.keyboard.press("Control+Enter")
    feedback = page.locator("#feedback article")
    expect(feedback).to_be_visible()
    expect(feedback).to_have_attribute("data-verdict", "correct")
    expect(feedback.locator("li.found")).to_have_count(4)
    expect(feedback.get_by_text("Model answer")).to_be_visible()

    page.get_by_role("button", name="Finish and see results").click()
    expect(page.get_by_role("heading", name=re.compile("Results"))).to_be_visible()
    expect(page.locator("#topic-chart")).to_be_visible()


def test_a_choice_question_can_be_answered_from_the_keyboard(site, page):
    from quizsite.questions.models import Question

    question = Question.objects.live().filter(type="single").first()
    correct_index = next(i for i, c in enumerate(question.spec["choices"], start=1) if c["correct"])
    page.goto(site.url + question.get_absolute_url())
    page.keyboard.press(str(correct_index))
    page.keyboard.press("Control+Enter")
    expect(page.locator("#feedback article")).to_have_attribute("data-verdict", "correct")

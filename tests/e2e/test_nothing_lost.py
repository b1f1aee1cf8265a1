"""Nothing lost: while the live server's database is away (really: its connection settings point at a
database that cannot be opened, tests/site/outage.py), an answer, a card rating and an interview autosave
show "Not saved, retrying"; once the database is back, the page's retry stores each of them, once."""

import re

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from quizsite.cards.models import Review
from quizsite.interviews.models import Interview, Track
from quizsite.questions.models import Question
from quizsite.quizzes.models import Answer
from tests.site.outage import database_down

PASSWORD = "never-lose-an-answer-42"


@pytest.fixture(autouse=True)
def no_persistent_connections():
    """The live server's request threads then open a connection per request, so the outage reaches them
    (a persistent PostgreSQL connection opened before it would go on working). The real server's persistent
    connections through a real cut are tested in tests/faults/test_web_faults.py."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0  # the dict every thread's connection is built from
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved


def _sign_in(site, page, django_user_model, next_url: str):
    user = django_user_model.objects.create_user("steady", "steady@example.com", PASSWORD)
    page.goto(site.url + f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("steady")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The keyboard handlers come with deferred scripts: wait until the page they land on has run them.
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))
    page.wait_for_load_state("load")
    return user


def test_an_answer_sent_while_the_database_is_away_is_retried_and_stored_once(site, page):
    question = Question.objects.get(slug="throughput-plateau-ramp")
    page.goto(site.url + question.get_absolute_url())
    page.get_by_label(re.compile("The API saturated")).check()
    with database_down():
        page.get_by_role("button", name=re.compile("Check answer")).click()
        expect(page.get_by_text(re.compile("Not saved, retrying"))).to_be_visible()
    expect(page.locator("#feedback article")).to_have_attribute("data-verdict", "correct", timeout=20_000)
    expect(page.get_by_text(re.compile("Not saved"))).to_be_hidden()
    assert Answer.objects.filter(question=question).count() == 1


def test_a_card_rating_sent_while_the_database_is_away_is_retried_and_counted_once(site, page,
                                                                                   django_user_model):
    user = _sign_in(site, page, django_user_model, "/cards/")
    expect(page.get_by_role("heading", name="Flashcards", level=1)).to_be_visible()
    first = page.locator("#flashcard").get_attribute("data-card")
    page.keyboard.press("Space")
    expect(page.locator("#card-back")).to_have_attribute("open", "")
    with database_down():
        page.keyboard.press("3")
        expect(page.get_by_text(re.compile("Not saved, retrying"))).to_be_visible()
    expect(page.locator("#flashcard")).not_to_have_attribute("data-card", first, timeout=20_000)
    assert Review.objects.filter(user=user).count() == 1


def test_an_interview_autosave_while_the_database_is_away_is_retried_until_stored(site, page, django_user_model):
    user = _sign_in(site, page, django_user_model, "/interviews/")
    interview = Interview.start(user, Track.LOAD_LATENCY, 30, 2, timezone.now())
    page.goto(site.url + interview.get_absolute_url())
    text = "Measure the P99 under a steady load first, then find the knee of the latency curve."
    box = page.get_by_label(re.compile("Your answer"))
    with database_down():
        box.fill(text)
        box.blur()
        expect(page.locator("#save-status")).to_have_text(re.compile("Not saved, retrying"))
    expect(page.locator("#save-status")).to_have_text(re.compile(r"Saved \d\d:\d\d:\d\d"), timeout=20_000)
    page.reload()
    expect(page.get_by_label(re.compile("Your answer"))).to_have_value(text)

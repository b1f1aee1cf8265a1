"""The home page (signed out: what the site offers and where to start; signed in: what is due, what to
continue, the next step, lab progress, weakest topics), the guided path's progress, and the lesson page."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from labs.models import Lab, LabRun, RunStatus
from quizsite.cards.models import CardState, Review
from quizsite.interviews.models import Interview, Status, Track
from quizsite.journey.lessons import LessonError, all_lessons, parse_lesson
from quizsite.journey.models import LessonRead
from quizsite.journey.path import FIRST_LESSON, Learner, path_steps
from quizsite.questions.models import Question, Topic
from quizsite.quizzes.models import Answer, Attempt, Mode, Quiz
from tests.questions.test_content_rendering import main_of, raw_bits

pytestmark = pytest.mark.django_db
LESSON_URL = reverse("journey-lesson", args=[FIRST_LESSON])


def _steps(user) -> dict[str, bool]:
    return {step.key: step.done for step in path_steps(Learner(user, ""))}


def _answer(user, question, score: float) -> Answer:
    return Answer.objects.create(user=user, question=question, response="x", score=score,
                                 verdict="partial", grade={}, created_at=timezone.now())


def test_signed_out_home_says_what_the_site_offers_and_where_to_start(client):
    """Questions, quizzes, flashcards, mock interviews and labs are each named and linked; the lesson is the
    first step and the obvious place to start."""
    page = client.get(reverse("home")).content.decode()
    for name, url in [("Questions", "questions-list"), ("Quizzes", "quizzes-list"), ("Flashcards", "cards-review"),
                      ("Mock interviews", "interviews-list"), ("Labs", "labs-list")]:
        assert re.search(rf'<a href="{reverse(url)}">{name}</a>', page), name
    assert f'href="{LESSON_URL}" role="button">Start here' in page
    assert page.count('class="path-step') == 6


def test_signed_in_home_shows_due_cards_work_to_continue_next_step_labs_and_weak_topics(
        learner_client, learner):
    """Each panel reflects the learner's records and links to where to act on it."""
    now = timezone.now()
    question = Question.objects.bank().filter(type=Question.Type.SINGLE).order_by("slug").first()
    CardState.objects.create(user=learner, question=question, due=now - timedelta(hours=1))
    quiz = Quiz.objects.get(slug="latency-practice")
    attempt = Attempt.start(quiz, Mode.PRACTICE, learner, "", now)
    interview = Interview.start(learner, Track.LOAD_LATENCY, 20, 2, now, seed="home")
    LabRun.objects.create(lab=Lab.objects.get(slug="first-load-test"), user=learner, status=RunStatus.SUCCEEDED,
                          config={}, created_at=now)
    weak = Topic.objects.get(slug="caching")
    for q in Question.objects.bank().filter(topic=weak)[:2]:
        _answer(learner, q, 0.1)
    for q in Question.objects.bank().filter(topic__slug="latency")[:2]:
        _answer(learner, q, 0.9)

    page = html.unescape(learner_client.get(reverse("home")).content.decode())
    assert re.search(r"big-number\">1</strong> card due now", page) and f'href="{reverse("cards-review")}" role="button">Review them' in page
    assert f'href="{reverse("quizzes-attempt-question", args=[attempt.pk, 1])}">{quiz.title}</a>' in page
    assert f'href="{interview.get_absolute_url()}">Mock interview' in page
    assert f'Next step: <a href="{LESSON_URL}">' in page
    assert re.search(rf'big-number">1</strong> of {Lab.objects.live().count()} labs', page)
    assert f'Next: <a href="{reverse("labs-detail", args=["breaking-point"])}">' in page
    weakest = page[page.index("Weakest topics"):page.index("Your path")]
    assert weakest.index(weak.name) < weakest.index("Latency percentiles")
    assert f'?topic={weak.slug}">{weak.name}</a>' in weakest


def test_finished_or_expired_work_is_not_offered_to_continue(learner_client, learner):
    """A finished quiz, an exam past its deadline and a finished interview do not show under Continue."""
    now = timezone.now()
    quiz = Quiz.objects.get(slug="latency-practice")
    done = Attempt.start(quiz, Mode.PRACTICE, learner, "", now)
    done.finish(now)
    Attempt.start(quiz, Mode.EXAM, learner, "", now - timedelta(hours=2), time_limit_s=60)
    interview = Interview.start(learner, Track.LOAD_LATENCY, 20, 2, now, seed="done")
    interview.finish(now)
    page = learner_client.get(reverse("home")).content.decode()
    assert "Nothing half-done." in page


def test_each_step_of_the_path_is_marked_done_from_the_learners_records(learner, client):
    """Lesson read, lesson quiz finished, each lab run to success, ten flashcard reviews, an interview
    finished: each turns its own step done, and nothing else."""
    now = timezone.now()
    assert not any(_steps(learner).values())
    LessonRead.objects.create(user=learner, lesson=FIRST_LESSON, read_at=now)
    assert [k for k, done in _steps(learner).items() if done] == ["lesson"]
    attempt = Attempt.start(Quiz.objects.get(slug="load-testing-lesson"), Mode.PRACTICE, learner, "", now)
    assert not _steps(learner)["quiz"]
    attempt.finish(now)
    assert _steps(learner)["quiz"]
    LabRun.objects.create(lab=Lab.objects.get(slug="first-load-test"), user=learner, status=RunStatus.FAILED,
                          config={}, created_at=now)
    assert not _steps(learner)["first-lab"]
    LabRun.objects.create(lab=Lab.objects.get(slug="first-load-test"), user=learner, status=RunStatus.SUCCEEDED,
                          config={}, created_at=now)
    LabRun.objects.create(lab=Lab.objects.get(slug="breaking-point"), user=learner, status=RunStatus.SUCCEEDED,
                          config={}, created_at=now)
    assert _steps(learner)["first-lab"] and _steps(learner)["breaking-lab"]
    question = Question.objects.bank().first()
    state = CardState.objects.create(user=learner, question=question, due=now)
    reviews = [Review(user=learner, card_state=state, rating=3, reviewed_at=now, state_before={}, state_after={},
                      prior=Review.Prior.NEW, source=Review.Source.REVIEW) for _ in range(9)]
    Review.objects.bulk_create(reviews)
    assert not _steps(learner)["cards"]
    Review.objects.create(user=learner, card_state=state, rating=3, reviewed_at=now, state_before={},
                          state_after={}, prior=Review.Prior.NEW, source=Review.Source.REVIEW)
    assert _steps(learner)["cards"]
    interview = Interview.start(learner, Track.LOAD_LATENCY, 20, 2, now, seed="path")
    assert not _steps(learner)["interview"]
    interview.finish(now)
    assert all(_steps(learner).values())
    assert Interview.objects.get(pk=interview.pk).status == Status.FINISHED


def test_reading_the_lesson_marks_it_once_and_leads_to_the_quiz(learner_client, learner):
    """The read button records the lesson (twice is still once) and goes on to the lesson quiz."""
    read_url = reverse("journey-lesson-read", args=[FIRST_LESSON])
    first = learner_client.post(read_url)
    learner_client.post(read_url)
    assert first.status_code == 302 and first["Location"] == reverse("quizzes-detail", args=["load-testing-lesson"])
    assert LessonRead.objects.filter(user=learner, lesson=FIRST_LESSON).count() == 1
    assert "You have read this lesson" in learner_client.get(LESSON_URL).content.decode()
    assert learner_client.get(read_url).status_code == 405


def test_a_lesson_read_before_signing_up_counts_for_the_account(client, django_user_model):
    """Anonymous reading is kept in the session and moves into the account on sign-up."""
    client.post(reverse("journey-lesson-read", args=[FIRST_LESSON]))
    assert "(done)" in client.get(reverse("home")).content.decode()
    client.post(reverse("accounts-signup"), {"username": "reader", "password1": "a-long-pass-phrase-42",
                                             "password2": "a-long-pass-phrase-42"})
    user = django_user_model.objects.get(username="reader")
    assert LessonRead.objects.filter(user=user, lesson=FIRST_LESSON).exists()


def test_the_lesson_page_renders_its_markdown_and_the_path(client):
    """The lesson shows as HTML (headings, the MLUser code), with no raw Markdown or template text, beside
    the path; an unknown lesson is a 404."""
    page = client.get(LESSON_URL).content.decode()
    assert "<h2>1. Why test under load at all?</h2>" in page
    assert "class MLUser(HttpUser):" in html.unescape(page)
    assert raw_bits(main_of(page)) == []
    assert 'class="path"' in page
    assert client.get(reverse("journey-lesson", args=["no-such-lesson"])).status_code == 404


def test_every_lesson_file_loads():
    """All files under content/lessons parse (a broken one fails here, not in front of a learner)."""
    assert [lesson.slug for lesson in all_lessons()] == [FIRST_LESSON]


def test_a_broken_lesson_file_reports_every_problem_with_the_file_name():
    with pytest.raises(LessonError) as error:
        parse_lesson("---\nid: x\nminutes: soon\n---\n", "lessons/x.md")
    message = str(error.value)
    for part in ["lessons/x.md: title: required", "lessons/x.md: summary: required", "minutes:", "no text"]:
        assert part in message
    with pytest.raises(LessonError, match="front matter"):
        parse_lesson("# no front matter", "lessons/y.md")


def test_home_question_counts_agree_with_the_api_and_the_question_list(client):
    """Each topic's count on the home page is the API's question_count and the length of the question list
    filtered by that topic: lab checkpoints (they need a run) are counted nowhere."""
    page = client.get(reverse("home")).content.decode()
    home = {slug: int(n) for slug, n in re.findall(r'data-topic-count="([^"]+)">(\d+) question', page)}
    api = {t["id"]: t["question_count"] for t in client.get(reverse("api-topics")).json()}
    listed = {slug: client.get(reverse("api-questions"), {"topic": slug}).json()["count"] for slug in home}
    assert home == api == listed
    assert sum(home.values()) == Question.objects.bank().count()


def test_the_home_page_stays_cheap(client, learner, django_assert_max_num_queries):
    """Signed out and signed in with history, the home page runs a small fixed number of queries."""
    now = timezone.now()
    quiz = Quiz.objects.get(slug="latency-practice")
    for _ in range(3):
        Attempt.start(quiz, Mode.PRACTICE, learner, "", now).finish(now)
    for q in Question.objects.bank()[:30]:
        _answer(learner, q, 0.5)
    with django_assert_max_num_queries(4):  # the content version, then the page's own
        assert client.get(reverse("home")).status_code == 200
    with django_assert_max_num_queries(1):  # the next visitor gets the kept page: the content version only
        assert Client().get(reverse("home")).status_code == 200
    signed_in = Client()
    signed_in.force_login(learner)
    with django_assert_max_num_queries(13):
        assert signed_in.get(reverse("home")).status_code == 200


def test_load_content_checks_lesson_files_with_everything_else(tmp_path, capsys):
    """A broken lesson fails `load_content --check` with its file and fields, beside any other error."""
    from django.core.management import CommandError, call_command

    from tests.questions.test_load_content import CHOICE, write_tree

    root = write_tree(tmp_path, CHOICE.format(id="ok-question", title="Fine"))
    (root / "lessons").mkdir()
    (root / "lessons" / "broken.md").write_text("---\nid: other\nminutes: 0\n---\nText.\n")
    with pytest.raises(CommandError, match="error"):
        call_command("load_content", "--check", "--path", str(root))
    err = capsys.readouterr().err
    for part in ["lessons/broken.md: title: required", "lessons/broken.md: summary: required",
                 "lessons/broken.md: minutes: a whole number"]:
        assert part in err

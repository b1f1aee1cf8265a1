"""Quizzes in practice and exam mode, built or curated, for learners and anonymous visitors."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizsite.quizzes.models import Answer, Attempt, Quiz

pytestmark = pytest.mark.django_db

STRONG_P99 = (
    "P99 is the 99th percentile of latency: 99% of requests are at or below it, 1 in 100 is slower. "
    "Averages hide the tail, and at scale 1M users means 10,000 users see it."
)


def start(client, slug="load-testing-lesson", **data) -> Attempt:
    response = client.post(reverse("quizzes-start", args=[slug]), {"mode": "practice", **data})
    assert response.status_code == 302, response.content
    return Attempt.objects.latest("started_at")


def question_number(attempt: Attempt, slug: str) -> int:
    return [q.slug for q in attempt.quiz.ordered_questions()].index(slug) + 1


def test_practice_gives_feedback_at_once_and_allows_retry(learner_client):
    attempt = start(learner_client)
    number = question_number(attempt, "what-is-p99")
    url = reverse("quizzes-attempt-question", args=[attempt.pk, number])
    first = learner_client.post(url, {"answer": "it is a number"})
    assert "Not yet" in first.content.decode()
    second = learner_client.post(url, {"answer": STRONG_P99})
    assert "Correct" in second.content.decode()
    assert attempt.answers.count() == 2
    learner_client.post(reverse("quizzes-attempt-finish", args=[attempt.pk]))
    attempt.refresh_from_db()
    questions = attempt.quiz.ordered_questions()
    assert attempt.score == pytest.approx(attempt.answers.order_by("-pk").first().score / len(questions))


def test_exam_hides_feedback_until_the_end_and_keeps_one_answer(learner_client):
    attempt = start(learner_client, mode="exam")
    number = question_number(attempt, "what-is-p99")
    url = reverse("quizzes-attempt-question", args=[attempt.pk, number])
    response = learner_client.post(url, {"answer": "just a guess"}, HTTP_HX_REQUEST="true")
    assert "Correct" not in response.content.decode() and "Not yet" not in response.content.decode()
    learner_client.post(url, {"answer": STRONG_P99})
    assert attempt.answers.count() == 1
    results = learner_client.post(reverse("quizzes-attempt-finish", args=[attempt.pk]), follow=True)
    body = results.content.decode()
    assert "Results" in body and "Correct" in body and "topic-chart-data" in body


def test_exam_timer_is_enforced_by_the_server(learner_client):
    attempt = start(learner_client, mode="exam", time_limit_minutes=5)
    assert attempt.deadline is not None
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    number = question_number(attempt, "what-is-p99")
    response = learner_client.post(reverse("quizzes-attempt-question", args=[attempt.pk, number]),
                                   {"answer": STRONG_P99})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_finished
    assert not attempt.answers.exists()


def test_results_by_topic_average_the_counted_answers(learner_client):
    attempt = start(learner_client)
    questions = attempt.quiz.ordered_questions()
    learner_client.post(reverse("quizzes-attempt-question", args=[attempt.pk, question_number(attempt, "what-is-p99")]),
                        {"answer": STRONG_P99})
    attempt.finish(timezone.now())
    rows = {row["topic"].slug: row for row in attempt.results_by_topic()}
    latency_total = sum(1 for q in questions if q.topic.slug == "latency")
    p99_score = attempt.answers.get().score
    assert rows["latency"]["score"] == pytest.approx(p99_score / latency_total)
    assert rows["latency"]["answered"] == 1


def test_anonymous_visitor_can_study_with_session_progress(client):
    attempt = start(client)
    assert attempt.user is None and attempt.session_key
    number = question_number(attempt, "what-is-p99")
    client.post(reverse("quizzes-attempt-question", args=[attempt.pk, number]), {"answer": STRONG_P99})
    history = client.get(reverse("quizzes-history")).content.decode()
    assert "What is P99?" in history


def test_another_learner_cannot_see_an_attempt(learner_client, client, other_learner):
    attempt = start(learner_client)
    client.force_login(other_learner)
    assert client.get(reverse("quizzes-attempt-question", args=[attempt.pk, 1])).status_code == 404
    client.logout()
    assert client.get(reverse("quizzes-attempt", args=[attempt.pk])).status_code == 404


def test_build_a_quiz_from_topics_difficulty_and_count(learner_client):
    response = learner_client.post(reverse("quizzes-build"), {"topics": [], "count": 3, "mode": "practice",
                                                              "difficulty": ""})
    assert response.status_code == 302
    attempt = Attempt.objects.latest("started_at")
    assert len(attempt.quiz.ordered_questions()) == 3
    assert attempt.quiz.owner.username == "learner"


def test_build_form_rejects_bad_counts_and_changes_nothing(learner_client):
    before = Quiz.objects.count()
    response = learner_client.post(reverse("quizzes-build"), {"count": 0, "mode": "practice"})
    assert response.status_code == 400
    assert Quiz.objects.count() == before


def test_curated_list_shows_lesson_quiz(client):
    assert "Lesson: load testing with Locust" in client.get(reverse("quizzes-list")).content.decode()


def test_invalid_answer_in_a_quiz_is_not_stored(learner_client):
    attempt = start(learner_client)
    number = question_number(attempt, "what-is-p99")
    response = learner_client.post(reverse("quizzes-attempt-question", args=[attempt.pk, number]), {"answer": ""})
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_quiz_list_and_api_lists_run_a_fixed_number_of_queries(client, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as page:
        client.get(reverse("quizzes-list"))
    with CaptureQueriesContext(connection) as api_quizzes:
        api_client.get("/api/v1/quizzes/")
    with CaptureQueriesContext(connection) as api_questions:
        api_client.get("/api/v1/questions/")
    assert len(page) <= 5
    assert len(api_quizzes) <= 3
    assert len(api_questions) <= 4  # count, page, tags prefetch


def test_exam_answer_through_htmx_moves_the_whole_page_on(learner_client):
    """htmx must not swap the next question into the feedback box: the client is told to navigate."""
    attempt = start(learner_client, mode="exam")
    response = learner_client.post(reverse("quizzes-attempt-question", args=[attempt.pk, 1]),
                                   {"answer": "a"}, HTTP_HX_REQUEST="true")
    assert attempt.quiz.ordered_questions()[0].is_choice  # so "a" is a valid answer
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("quizzes-attempt-question", args=[attempt.pk, 2])


def test_exam_mode_says_save_and_next_and_confirms_the_save(learner_client):
    """In an exam the button says what it does ("Save and next"; "Save answer" on the last question), and
    the next question confirms the previous answer was saved; practice keeps "Check answer"."""
    attempt = start(learner_client, mode="exam")
    total = len(attempt.quiz.ordered_questions())
    first = learner_client.get(reverse("quizzes-attempt-question", args=[attempt.pk, 1])).content.decode()
    assert "Save and next" in first and "Check answer" not in first
    moved = learner_client.post(reverse("quizzes-attempt-question", args=[attempt.pk, 1]), {"answer": "a"},
                                follow=True)
    assert moved.redirect_chain[-1][0] == reverse("quizzes-attempt-question", args=[attempt.pk, 2])
    assert "Answer to question 1 saved." in moved.content.decode()
    last = learner_client.get(reverse("quizzes-attempt-question", args=[attempt.pk, total])).content.decode()
    assert "Save answer" in last and "Save and next" not in last
    practice = start(learner_client)
    page = learner_client.get(reverse("quizzes-attempt-question", args=[practice.pk, 1])).content.decode()
    assert "Check answer" in page and "Save and next" not in page

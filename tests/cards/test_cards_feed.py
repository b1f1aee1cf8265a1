"""Answers given anywhere feed the schedule: a quiz answer reviews the learner's card for that question."""

import pytest
from django.urls import reverse
from fsrs import Card, Rating, Scheduler

from quizsite.cards.models import CardState, Review
from quizsite.quizzes.models import Attempt

pytestmark = pytest.mark.django_db

STRONG_P99 = (
    "P99 is the 99th percentile of latency: 99% of requests are at or below it, 1 in 100 is slower. "
    "Averages hide the tail, and at scale 1M users means 10,000 users see it."
)


def _start_lesson(client) -> tuple[Attempt, str]:
    client.post(reverse("quizzes-start", args=["load-testing-lesson"]), {"mode": "practice"})
    attempt = Attempt.objects.latest("started_at")
    number = [q.slug for q in attempt.quiz.ordered_questions()].index("what-is-p99") + 1
    return attempt, reverse("quizzes-attempt-question", args=[attempt.pk, number])


def test_a_correct_quiz_answer_rates_the_card_good(learner_client, learner):
    """A correct answer in a quiz is a Good review of that question's card, exactly as py-fsrs schedules it."""
    _, url = _start_lesson(learner_client)
    learner_client.post(url, {"answer": STRONG_P99})
    state = CardState.objects.get(user=learner, question__slug="what-is-p99")
    review = state.reviews.get()
    assert (review.rating, review.source, review.prior) == (Rating.Good, Review.Source.QUIZ, Review.Prior.NEW)
    expected, _ = Scheduler(enable_fuzzing=False).review_card(Card(card_id=state.pk, due=review.reviewed_at),
                                                             Rating.Good, review.reviewed_at)
    assert state.fsrs == expected.to_dict()


def test_a_wrong_then_right_quiz_answer_rates_again_then_good(learner_client, learner):
    """Each graded answer is one review: a weak answer is Again, the retry Good."""
    _, url = _start_lesson(learner_client)
    learner_client.post(url, {"answer": "it is a number"})
    learner_client.post(url, {"answer": STRONG_P99})
    state = CardState.objects.get(user=learner, question__slug="what-is-p99")
    assert [r.rating for r in state.reviews.order_by("reviewed_at", "pk")] == [Rating.Again, Rating.Good]
    assert state.rebuild().to_dict() == state.fsrs


def test_a_question_page_answer_feeds_the_schedule_too(learner_client, learner):
    """Answering on a question's own page counts as well."""
    learner_client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": STRONG_P99})
    review = Review.objects.get(user=learner)
    assert review.source == Review.Source.QUESTION
    assert review.card_state.question.slug == "what-is-p99"


def test_anonymous_answers_touch_no_schedule(client):
    """Visitors without an account have no cards."""
    client.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": STRONG_P99})
    assert not Review.objects.exists()


def test_an_unreadable_answer_is_not_a_review(learner_client, learner):
    """Invalid answers cost no attempt and leave the card alone."""
    question_url = reverse("questions-answer", args=["flame-graph-self-time"])
    learner_client.post(question_url, {"answer": "lots"})
    assert not CardState.objects.filter(user=learner).exists()

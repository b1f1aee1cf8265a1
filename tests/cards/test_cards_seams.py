"""The contracts other apps rely on: add_personal_card and the answer_graded receiver."""

from datetime import UTC, datetime

import pytest

from quizsite.cards import schedule
from quizsite.cards.models import CardState, Deck, PersonalCard, Review
from quizsite.cards.services import add_personal_card
from quizsite.questions.grading import Grade, Verdict
from quizsite.questions.models import Question
from quizsite.questions.signals import answer_graded

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def _grade(verdict: Verdict) -> Grade:
    return Grade(1.0 if verdict == Verdict.CORRECT else 0.0, verdict, [], "")


def test_add_personal_card_puts_it_in_the_personal_deck(learner):
    """A personal card lands in the learner's "Personal" deck with its tags."""
    card = add_personal_card(learner, "What does P99 hide?", "Nothing: it shows the tail.", ["latency", "p99"],
                             source="interview:7")
    assert card.deck == Deck.objects.get(user=learner, name="Personal")
    assert card.tag_list == ["latency", "p99"]
    assert card.source == "interview:7"


def test_add_personal_card_is_idempotent_per_user_and_front(learner, other_learner):
    """The same front twice gives the same card; another learner gets their own."""
    first = add_personal_card(learner, "Little's law?", "L = λW", ["queueing"])
    again = add_personal_card(learner, "  Little's law?  ", "something else", ["other"])
    theirs = add_personal_card(other_learner, "Little's law?", "L = λW", [])
    assert again.pk == first.pk
    assert again.back == "L = λW"
    assert theirs.pk != first.pk
    assert PersonalCard.objects.filter(user=learner).count() == 1


def test_add_personal_card_refuses_an_empty_front(learner):
    """A card without a front is an error, not an empty card."""
    with pytest.raises(ValueError):
        add_personal_card(learner, "   ", "back", [])


@pytest.mark.parametrize(("verdict", "rating"), [
    (Verdict.CORRECT, schedule.Rating.Good),
    (Verdict.PARTIAL, schedule.Rating.Hard),
    (Verdict.INCORRECT, schedule.Rating.Again),
])
def test_graded_answers_review_the_question_card(learner, verdict, rating):
    """correct → Good, partial → Hard, incorrect → Again, at the answer time, with py-fsrs's result."""
    question = Question.objects.get(slug="what-is-p99")
    answer_graded.send(sender=Question, user=learner, question=question, grade=_grade(verdict), source="quiz",
                       answered_at=NOON)
    state = CardState.objects.get(user=learner, question=question)
    review = state.reviews.get()
    assert review.rating == rating
    assert review.source == Review.Source.QUIZ
    assert review.reviewed_at == NOON
    expected = schedule.review(schedule.new_card(state.pk, NOON), rating, NOON)
    assert state.fsrs == expected.to_dict()
    assert state.due == expected.due


def test_invalid_answers_do_not_touch_the_schedule(learner):
    """An unreadable answer is not a recall test."""
    question = Question.objects.get(slug="what-is-p99")
    answer_graded.send(sender=Question, user=learner, question=question, grade=Grade.invalid("?"), source="quiz")
    assert not CardState.objects.filter(user=learner).exists()

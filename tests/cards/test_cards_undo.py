"""Undo takes back the last flashcard review and restores the card's previous state exactly."""

from datetime import UTC, datetime, timedelta

import pytest

from quizsite.cards.models import CardState, Review
from quizsite.cards.services import add_personal_card, build_queue, review_card, undo_last_review

pytestmark = pytest.mark.django_db

START = datetime(2025, 2, 10, 8, 0, tzinfo=UTC)


def _snapshot(state: CardState) -> dict:
    state.refresh_from_db()
    return {"fsrs": state.fsrs, "status": state.status, "due": state.due, "last_review": state.last_review,
            "reps": state.reps, "lapses": state.lapses}


def test_undo_restores_the_exact_previous_state(learner):
    """After three reviews and a lapse, undoing the lapse gives back every field of the card before it."""
    card = add_personal_card(learner, "Why does P99 rise before the mean?", "Queueing hits the tail first.", [])
    review_card(learner, card, 3, START)
    review_card(learner, card, 3, START + timedelta(minutes=10))
    review_card(learner, card, 3, START + timedelta(days=3))
    state = CardState.objects.get(personal_card=card)
    before = _snapshot(state)
    review_card(learner, card, 1, START + timedelta(days=20))
    assert _snapshot(state)["lapses"] == 1
    undone = undo_last_review(learner)
    assert undone.card_id == card.card_id and undone.rating == 1
    assert _snapshot(state) == before
    assert state.reviews.count() == 3
    assert state.rebuild().to_dict() == state.fsrs


def test_undoing_a_first_review_makes_the_card_new_again(learner):
    """The card goes back to having no state, and today's new-card count is given back."""
    now = datetime.now(UTC)
    card = build_queue(learner, now).current
    review_card(learner, card.target, 4, now)
    assert build_queue(learner, now).new_remaining == 19
    undo_last_review(learner)
    assert not CardState.objects.filter(user=learner).exists()
    assert build_queue(learner, now).new_remaining == 20


def test_undo_skips_answers_from_quizzes_and_stops_when_the_card_moved_on(learner):
    """Only flashcard reviews are undone, and not once a quiz answer has reviewed the card since."""
    card = add_personal_card(learner, "Closed vs open workload?", "Open models arrivals independent of latency.", [])
    review_card(learner, card, 3, START)
    review_card(learner, card, 3, START + timedelta(minutes=20), source=Review.Source.QUIZ)
    assert undo_last_review(learner) is None
    assert Review.objects.filter(user=learner).count() == 2


def test_undo_with_nothing_to_undo(learner):
    """A learner without reviews has nothing to undo."""
    assert undo_last_review(learner) is None


def test_undo_bumps_the_version_so_the_old_page_cannot_replay(learner):
    """After undo, the key of the page shown before the undone review no longer matches a reviewed state."""
    card = add_personal_card(learner, "What is headroom?", "Spare capacity before saturation.", [])
    review_card(learner, card, 3, START)
    review_card(learner, card, 3, START + timedelta(minutes=10), expected_version=1)
    undo_last_review(learner)
    state = CardState.objects.get(personal_card=card)
    assert state.version == 3 and state.reps == 1

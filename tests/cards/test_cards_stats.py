"""Stats: true retention, the due forecast, cards by state and heat levels."""

from datetime import UTC, date, datetime, timedelta

import pytest

from quizsite.cards.models import CardPreferences
from quizsite.cards.services import add_personal_card, review_card
from quizsite.cards.stats import card_stats, heat_level, true_retention

pytestmark = pytest.mark.django_db

START = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def _graduate(learner, front: str):
    card = add_personal_card(learner, front, "back", [])
    review_card(learner, card, 4, START)  # Easy: straight to Review
    return card


def test_true_retention_counts_only_reviews_of_review_state_cards(learner):
    """Recalled = rated above Again, among reviews of cards already in the Review state."""
    cards = [_graduate(learner, f"card {i}") for i in range(4)]
    later = START + timedelta(days=10)
    for card, rating in zip(cards, [3, 2, 4, 1]):
        review_card(learner, card, rating, later)
    retention = true_retention(learner)
    assert (retention.recalled, retention.total) == (3, 4)
    assert retention.rate == 0.75
    # The learning-state reviews after the lapse do not count.
    review_card(learner, cards[3], 3, later + timedelta(minutes=10))
    assert true_retention(learner).total == 4


def test_forecast_counts_cards_per_local_day_for_30_days(learner):
    """Each Review-state card appears once, on its due date; overdue cards count today."""
    CardPreferences.objects.create(user=learner, time_zone="Europe/Berlin")
    for i in range(3):
        _graduate(learner, f"card {i}")
    stats = card_stats(learner, START + timedelta(days=40))
    assert len(stats["forecast"]) == 30
    assert stats["forecast"][0] == {"date": "2025-05-11", "count": 3}
    assert stats["due_now"] == 3
    assert stats["cards_by_state"]["review"] == 3


def test_cards_by_state_include_new_question_cards(learner):
    """Every live question without a review is a new card."""
    stats = card_stats(learner, START)
    assert stats["cards_by_state"]["new"] > 50
    assert stats["cards_by_state"]["learning"] == 0


def test_heat_levels_scale_to_the_busiest_day():
    """0 for no reviews, then 1-4 by quarters of the busiest day."""
    assert [heat_level(n, 20) for n in (0, 1, 5, 6, 10, 15, 20)] == [0, 1, 1, 2, 2, 3, 4]
    assert heat_level(3, 0) == 0


def test_heatmap_weeks_start_on_monday_and_end_today(learner):
    """26 columns of 7 days, Monday first; days after today are blank."""
    stats = card_stats(learner, datetime(2025, 4, 2, 12, 0, tzinfo=UTC))  # a Wednesday
    weeks = stats["heatmap"]["weeks"]
    assert len(weeks) == 26 and all(len(w) == 7 for w in weeks)
    assert date.fromisoformat(weeks[0][0]["date"]).weekday() == 0
    assert weeks[-1][2]["date"] == "2025-04-02" and weeks[-1][3] is None

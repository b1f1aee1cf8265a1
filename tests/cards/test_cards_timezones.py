""""Today" is the learner's today: new-card limits and the heatmap follow their time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest

from quizsite.cards.models import CardPreferences, Review
from quizsite.cards.services import build_queue, review_card
from quizsite.cards.stats import card_stats, reviews_per_day

pytestmark = pytest.mark.django_db

# 23:30 on Tuesday 4 March in Brisbane (UTC+10 all year, no daylight saving) is 13:30 UTC on 4 March.
BRISBANE_2330 = datetime(2025, 3, 4, 13, 30, tzinfo=UTC)
# Half an hour later it is Wednesday 5 March in Brisbane, still 4 March in UTC.
BRISBANE_0005 = BRISBANE_2330 + timedelta(minutes=35)
# 09:00 UTC on 4 March is 19:00 the same day in Brisbane.
BRISBANE_1900 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def brisbane(learner):
    return CardPreferences.objects.create(user=learner, time_zone="Australia/Brisbane", new_per_day=3)


def _study_new(learner, at: datetime, count: int) -> None:
    for _ in range(count):
        card = next(c for c in build_queue(learner, at).cards if c.is_new)
        review_card(learner, card.target, 3, at)


def test_the_learners_today_and_its_start(brisbane):
    """At 13:30 UTC a Brisbane learner is at 23:30 on the 4th; their day began at 14:00 UTC on the 3rd."""
    assert brisbane.today(BRISBANE_2330) == date(2025, 3, 4)
    assert brisbane.day_start(BRISBANE_2330) == datetime(2025, 3, 3, 14, 0, tzinfo=UTC)
    assert brisbane.today(BRISBANE_0005) == date(2025, 3, 5)


def test_new_cards_at_2330_local_count_against_that_local_day(learner, brisbane):
    """Cards studied at 19:00 and 23:30 local share one day's limit, though they fall on one UTC day too."""
    _study_new(learner, BRISBANE_1900, 2)
    queue = build_queue(learner, BRISBANE_2330)
    assert queue.new_remaining == 1
    _study_new(learner, BRISBANE_2330, 1)
    assert build_queue(learner, BRISBANE_2330 + timedelta(minutes=1)).new_count == 0


def test_the_limit_resets_at_local_midnight_not_utc_midnight(learner, brisbane):
    """After 23:30 local the next local day starts at 00:00 Brisbane (14:00 UTC), with a fresh limit,
    while it is still the same day in UTC."""
    _study_new(learner, BRISBANE_2330, 3)
    assert build_queue(learner, BRISBANE_2330 + timedelta(minutes=20)).new_remaining == 0
    assert BRISBANE_0005.date() == BRISBANE_2330.date()  # the same UTC day...
    assert build_queue(learner, BRISBANE_0005).new_remaining == 3  # ...but a new Brisbane day


def test_a_utc_learner_at_the_same_instants_shares_one_day(learner):
    """The same instants for a UTC learner fall on one day, so the limit does not reset."""
    CardPreferences.objects.create(user=learner, time_zone="UTC", new_per_day=3)
    _study_new(learner, BRISBANE_2330, 3)
    assert build_queue(learner, BRISBANE_0005).new_remaining == 0


def test_a_review_at_2330_local_lands_on_the_local_day_in_the_heatmap(learner, brisbane):
    """The heatmap counts the 23:30 review on the 4th (Brisbane), and the 00:05 one on the 5th."""
    _study_new(learner, BRISBANE_2330, 1)
    _study_new(learner, BRISBANE_0005, 2)
    counts = reviews_per_day(learner, brisbane, date(2025, 3, 1), date(2025, 3, 6))
    assert counts == {date(2025, 3, 4): 1, date(2025, 3, 5): 2}
    stats = card_stats(learner, BRISBANE_0005)
    assert stats["today"] == "2025-03-05"
    assert stats["heatmap"]["today"] == 2
    assert {d["date"]: d["count"] for d in stats["heatmap"]["days"]} == {"2025-03-04": 1, "2025-03-05": 2}
    cells = {cell["date"]: cell["count"] for week in stats["heatmap"]["weeks"] for cell in week if cell}
    assert cells["2025-03-04"] == 1 and cells["2025-03-05"] == 2
    assert max(cells) == "2025-03-05"


def test_quiz_answers_do_not_use_up_the_new_card_limit(learner, brisbane):
    """Only cards first studied on the flashcard page count against the daily limit."""
    card = build_queue(learner, BRISBANE_2330).new[0]
    review_card(learner, card.target, 3, BRISBANE_2330, source=Review.Source.QUIZ)
    assert build_queue(learner, BRISBANE_2330).new_remaining == 3

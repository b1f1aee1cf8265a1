"""The schedule is py-fsrs's, exactly: stored state and due times equal a Scheduler driven directly
(fuzzing off, fixed clocks), and every card can be rebuilt from its review log."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, ReviewLog, Scheduler, State

from quizsite.cards import schedule
from quizsite.cards.models import CardPreferences, CardState
from quizsite.cards.services import add_personal_card, review_card
from quizsite.questions.models import Question

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

# (rating, time after the previous review): learning steps, graduation, a lapse, relearning, long gaps.
SEQUENCE = [
    (Rating.Good, timedelta(0)),
    (Rating.Good, timedelta(minutes=10)),
    (Rating.Good, timedelta(days=2, hours=3)),
    (Rating.Again, timedelta(days=9)),
    (Rating.Hard, timedelta(minutes=12)),
    (Rating.Good, timedelta(minutes=15)),
    (Rating.Easy, timedelta(days=4)),
    (Rating.Hard, timedelta(days=30, hours=7)),
    (Rating.Good, timedelta(days=1)),
    (Rating.Again, timedelta(hours=20)),
    (Rating.Good, timedelta(minutes=10)),
    (Rating.Easy, timedelta(days=60)),
]


def test_interval_labels_read_like_anki():
    """Button labels: minutes, hours, days, months, years."""
    assert [schedule.format_interval(timedelta(seconds=s)) for s in (30, 60, 330, 600, 3 * 3600)] == \
        ["1m", "1m", "6m", "10m", "3h"]
    assert [schedule.format_interval(timedelta(days=d)) for d in (1, 4, 29, 45, 60, 400)] == \
        ["1d", "4d", "29d", "1.5mo", "2mo", "1.1y"]


def test_interval_words_for_screen_readers():
    """The same intervals in words, singular and plural."""
    assert [schedule.describe_interval(timedelta(minutes=m)) for m in (1, 10, 180, 1440, 4 * 1440, 45 * 1440)] == \
        ["1 minute", "10 minutes", "3 hours", "1 day", "4 days", "1.5 months"]


def test_verdicts_map_to_ratings():
    """correct → Good, partial → Hard, incorrect → Again, invalid → no review."""
    assert schedule.rating_for_verdict("correct") == Rating.Good
    assert schedule.rating_for_verdict("partial") == Rating.Hard
    assert schedule.rating_for_verdict("incorrect") == Rating.Again
    assert schedule.rating_for_verdict("invalid") is None


def test_the_pure_mapping_equals_pyfsrs_over_a_sequence():
    """schedule.review is py-fsrs's review_card, card for card."""
    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    theirs = Card(card_id=7, due=START)
    ours = schedule.new_card(7, START)
    moment = START
    for rating, gap in SEQUENCE:
        moment += gap
        theirs, _ = scheduler.review_card(theirs, rating, moment)
        ours = schedule.review(ours, rating, moment)
        assert ours.to_dict() == theirs.to_dict()


def test_preview_intervals_equal_what_the_review_then_gives():
    """The interval a button shows is the interval the card gets."""
    card = schedule.new_card(1, START)
    for rating, gap in SEQUENCE[:6]:
        moment = (card.last_review or START) + gap
        shown = schedule.preview(card, moment)[rating]
        card = schedule.review(card, rating, moment)
        assert card.due - moment == shown


@pytest.mark.django_db
@pytest.mark.parametrize("retention", [0.9, 0.8])
def test_stored_state_and_due_equal_pyfsrs_over_a_sequence_of_reviews(learner, retention):
    """Reviewing a question card through the site stores exactly py-fsrs's state and due after each review."""
    CardPreferences.objects.create(user=learner, desired_retention=retention)
    question = Question.objects.get(slug="what-is-p99")
    scheduler = Scheduler(desired_retention=retention, enable_fuzzing=False)
    theirs = None
    moment = START
    for rating, gap in SEQUENCE:
        moment += gap
        review = review_card(learner, question, int(rating), moment)
        state = CardState.objects.get(pk=review.card_state_id)
        if theirs is None:
            theirs = Card(card_id=state.pk, due=START)
        theirs, _ = scheduler.review_card(theirs, rating, moment)
        assert state.fsrs == theirs.to_dict()
        assert state.due == theirs.due
        assert state.last_review == moment
        assert state.status == int(theirs.state)
        assert review.log_entry() == ReviewLog(card_id=state.pk, rating=rating, review_datetime=moment,
                                               review_duration=None)
    assert state.reps == len(SEQUENCE)
    assert state.lapses == 2
    assert theirs.state == State.Review


@pytest.mark.django_db
def test_every_card_rebuilds_from_its_review_log(learner):
    """Replaying the stored log (ours, and py-fsrs's own reschedule_card) gives the stored card."""
    personal = add_personal_card(learner, "Amdahl's law?", "Speed-up is capped by the serial part.", ["scaling"])
    moment = START
    for rating, gap in SEQUENCE:
        moment += gap
        review_card(learner, personal, int(rating), moment)
    state = CardState.objects.get(personal_card=personal)
    assert state.rebuild().to_dict() == state.fsrs
    logs = [r.log_entry() for r in state.reviews.all()]
    rebuilt = Scheduler(enable_fuzzing=False).reschedule_card(Card(card_id=state.pk, due=START), logs)
    assert rebuilt.to_dict() == state.fsrs
    # Each row also carries the state before and after, chained.
    rows = list(state.reviews.order_by("reviewed_at"))
    assert rows[0].state_before is None
    for earlier, later in itertools.pairwise(rows):
        assert later.state_before == earlier.state_after


@pytest.mark.django_db
def test_a_change_of_desired_retention_applies_from_then_on_and_still_rebuilds(learner):
    """The log keeps each review's retention, so a card rebuilt after a change still matches."""
    question = Question.objects.get(slug="what-is-p99")
    moment = START
    for index, (rating, gap) in enumerate(SEQUENCE):
        if index == 5:
            CardPreferences.objects.create(user=learner, desired_retention=0.8)
        moment += gap
        review_card(learner, question, int(rating), moment)
    state = CardState.objects.get(user=learner, question=question)
    assert state.rebuild().to_dict() == state.fsrs
    assert {r.desired_retention for r in state.reviews.all()} == {0.9, 0.8}


@pytest.mark.django_db
def test_only_again_on_a_card_in_review_is_a_lapse(learner):
    """A lapse is forgetting a learned card: Again while the card is new, learning or relearning is not
    one. The count equals py-fsrs's own: Again ratings given to a card whose state was Review."""
    question = Question.objects.get(slug="what-is-p99")
    scheduler = Scheduler(enable_fuzzing=False)
    sequence = [
        (Rating.Again, timedelta(0)),  # new
        (Rating.Again, timedelta(minutes=1)),  # learning
        (Rating.Good, timedelta(minutes=1)),
        (Rating.Good, timedelta(minutes=10)),  # graduates to review
        (Rating.Again, timedelta(days=3)),  # review: a lapse
        (Rating.Again, timedelta(minutes=10)),  # relearning: not another one
        (Rating.Good, timedelta(minutes=10)),
        (Rating.Again, timedelta(days=2)),  # review again: the second lapse
    ]
    theirs = Card(card_id=0, due=START)
    moment, lapses, states_at_again = START, 0, []
    for rating, gap in sequence:
        moment += gap
        if rating == Rating.Again:
            states_at_again.append(theirs.state)
            lapses += theirs.state == State.Review
        theirs, _ = scheduler.review_card(theirs, rating, moment)
        review_card(learner, question, int(rating), moment)
    assert states_at_again == [State.Learning, State.Learning, State.Review, State.Relearning, State.Review]
    state = CardState.objects.get(user=learner, question=question)
    assert state.lapses == lapses == 2

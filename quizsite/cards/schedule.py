"""The FSRS mapping: py-fsrs is imported here and nowhere else. Pure: no Django.

Card state is stored as py-fsrs's own `Card.to_dict()`; every function takes the time it runs at, so
tests drive it with fixed clocks and compare with a py-fsrs Scheduler driven directly.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, ReviewLog, Scheduler, State

__all__ = [
    "Card",
    "LoggedReview",
    "Rating",
    "ReviewLog",
    "Scheduler",
    "State",
    "describe_interval",
    "format_interval",
    "new_card",
    "preview",
    "rating_for_verdict",
    "rebuild",
    "review",
    "scheduler",
]

VERDICT_RATINGS = {"correct": Rating.Good, "partial": Rating.Hard, "incorrect": Rating.Again}


def scheduler(desired_retention: float = 0.9, fuzzing: bool = False) -> Scheduler:
    """py-fsrs's scheduler with its default weights and steps (1m, 10m to learn; 10m to relearn)."""
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzzing)


def utc(moment: datetime) -> datetime:
    """py-fsrs insists on datetime.UTC itself as tzinfo, not just any zero offset."""
    if moment.tzinfo is None:
        raise ValueError("review times must be timezone-aware")
    return moment.astimezone(UTC)


def new_card(card_id: int, now: datetime) -> Card:
    return Card(card_id=card_id, due=utc(now))


def review(card: Card, rating: Rating, now: datetime, desired_retention: float = 0.9,
           fuzzing: bool = False) -> Card:
    """The card after one review at `now`; the input is not changed."""
    reviewed, _ = scheduler(desired_retention, fuzzing).review_card(card, Rating(rating), utc(now))
    return reviewed


def preview(card: Card, now: datetime, desired_retention: float = 0.9) -> dict[Rating, timedelta]:
    """The interval each rating would give now (never fuzzed), for the rating buttons."""
    chooser = scheduler(desired_retention)
    moment = utc(now)
    return {rating: chooser.review_card(card, rating, moment)[0].due - moment for rating in Rating}


def rating_for_verdict(verdict: str) -> Rating | None:
    """Answers elsewhere feed the schedule: correct is Good, partial Hard, incorrect Again; invalid nothing."""
    return VERDICT_RATINGS.get(str(verdict))


@dataclass(frozen=True)
class LoggedReview:
    rating: Rating
    reviewed_at: datetime
    desired_retention: float = 0.9


def rebuild(card_id: int, logs: Iterable[LoggedReview]) -> Card:
    """Replay a card's review log from a fresh card: the state py-fsrs gives for exactly these reviews."""
    ordered = sorted(logs, key=lambda log: log.reviewed_at)
    card = Card(card_id=card_id, due=utc(ordered[0].reviewed_at) if ordered else datetime.now(UTC))
    for log in ordered:
        card = review(card, log.rating, log.reviewed_at, log.desired_retention)
    return card


def format_interval(interval: timedelta) -> str:
    """Short like Anki's buttons: "1m", "10m", "3h", "1d", "4d", "2.5mo", "1.2y"."""
    seconds = max(interval.total_seconds(), 0)
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(round(minutes), 1)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{_one_decimal(days / 30)}mo"
    return f"{_one_decimal(days / 365)}y"


def describe_interval(interval: timedelta) -> str:
    """The same interval in words, for screen readers: "10 minutes", "4 days", "1.5 months"."""
    short = format_interval(interval)
    for suffix, unit in (("mo", "month"), ("m", "minute"), ("h", "hour"), ("d", "day"), ("y", "year")):
        if short.endswith(suffix):
            number = short.removesuffix(suffix)
            return f"{number} {unit}{'' if number == '1' else 's'}"
    return short


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text.removesuffix(".0")

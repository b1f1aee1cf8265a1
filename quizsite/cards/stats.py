"""Progress in numbers: reviews per day, true retention, the due forecast and cards by state.

Days are the learner's days (their time zone), so a review at 23:30 in Sydney counts on Sydney's date.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from quizsite.cards.models import CardPreferences, CardState, Review
from quizsite.cards.services import CardFilter

HEATMAP_WEEKS = 26
FORECAST_DAYS = 30
RETENTION_DAYS = 30


@dataclass(frozen=True)
class Retention:
    recalled: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.recalled / self.total if self.total else None

    def to_dict(self) -> dict:
        return {"recalled": self.recalled, "total": self.total, "rate": self.rate}


def true_retention(user, since: datetime | None = None) -> Retention:
    """Share of reviews of cards in the Review state that were recalled (rated above Again)."""
    reviews = Review.objects.filter(user=user, prior=Review.Prior.REVIEW)
    if since is not None:
        reviews = reviews.filter(reviewed_at__gte=since)
    total = reviews.count()
    recalled = reviews.filter(rating__gt=Review.Rating.AGAIN).count()
    return Retention(recalled, total)


def reviews_per_day(user, preferences: CardPreferences, start: date, end: date) -> Counter:
    """Review counts by the learner's local date, for dates from start to end inclusive."""
    zone = preferences.zone
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    moments = Review.objects.filter(user=user, reviewed_at__gte=since, reviewed_at__lt=until).values_list(
        "reviewed_at", flat=True)
    return Counter(moment.astimezone(zone).date() for moment in moments)


def heat_level(count: int, busiest: int) -> int:
    """0 for none, then 1-4 by quarters of the busiest day."""
    if count <= 0 or busiest <= 0:
        return 0
    return min(4, 1 + (4 * (count - 1)) // busiest)


def heatmap(user, preferences: CardPreferences, now: datetime, weeks: int = HEATMAP_WEEKS) -> dict:
    """A calendar of weeks (Monday first) ending with the learner's today; each day has count and level."""
    today = preferences.today(now)
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    counts = reviews_per_day(user, preferences, start, today)
    busiest = max(counts.values(), default=0)
    columns = []
    for week in range(weeks):
        days = []
        for weekday in range(7):
            day = start + timedelta(days=7 * week + weekday)
            if day > today:
                days.append(None)
                continue
            count = counts.get(day, 0)
            days.append({"date": day.isoformat(), "count": count, "level": heat_level(count, busiest)})
        columns.append(days)
    return {
        "weeks": columns,
        "days": [{"date": d.isoformat(), "count": n} for d, n in sorted(counts.items())],
        "total": sum(counts.values()),
        "active_days": len(counts),
        "today": counts.get(today, 0),
    }


def due_forecast(states: list[CardState], preferences: CardPreferences, now: datetime,
                 days: int = FORECAST_DAYS) -> list[dict]:
    """Cards coming due on each of the next `days` local days; overdue cards count on today."""
    today = preferences.today(now)
    counts = Counter()
    for state in states:
        day = max(state.due.astimezone(preferences.zone).date(), today)
        if (day - today).days < days:
            counts[day] += 1
    return [{"date": (today + timedelta(days=i)).isoformat(), "count": counts.get(today + timedelta(days=i), 0)}
            for i in range(days)]


def card_stats(user, now: datetime) -> dict:
    """Everything the stats page and API show."""
    preferences = CardPreferences.for_user(user)
    cards = CardFilter().cards(user)
    states = [c.state for c in cards if c.state is not None]
    by_state = Counter(CardState.Status(s.status).label.lower() for s in states)
    return {
        "time_zone": preferences.time_zone,
        "today": preferences.today(now).isoformat(),
        "cards_by_state": {
            "new": sum(1 for c in cards if c.state is None),
            "learning": by_state.get("learning", 0),
            "review": by_state.get("review", 0),
            "relearning": by_state.get("relearning", 0),
        },
        "due_now": sum(1 for s in states if s.due <= now),
        "retention": {
            "last_30_days": true_retention(user, now - timedelta(days=RETENTION_DAYS)).to_dict(),
            "all_time": true_retention(user).to_dict(),
            "desired": preferences.desired_retention,
        },
        "forecast": due_forecast(states, preferences, now),
        "heatmap": heatmap(user, preferences, now),
    }

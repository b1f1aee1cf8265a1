"""Per-learner flashcard state: preferences, personal cards and decks, FSRS state and the review log.

Every live question is a card without copying it: a CardState row appears the first time a learner
reviews it. Personal cards (the learner's own, or missed interview concepts) are their own rows.
"""

import hashlib
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from quizsite.cards import schedule

DEFAULT_DECK_NAME = "Personal"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London.") from None


class CardPreferences(models.Model):
    """How one learner wants to be scheduled. Absent rows mean the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_preferences")
    desired_retention = models.FloatField(
        default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.99)],
        help_text="The chance of recalling a card when it comes due. Higher means more reviews.",
    )
    new_per_day = models.PositiveIntegerField(
        default=20, validators=[MaxValueValidator(500)], help_text="New cards introduced on the review page each day.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="Days start at midnight here.")

    class Meta:
        verbose_name_plural = "card preferences"

    def __str__(self) -> str:
        return f"Card preferences of {self.user}"

    @classmethod
    def for_user(cls, user) -> "CardPreferences":
        """The saved preferences, or unsaved defaults (reading a page never writes)."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def today(self, now: datetime):
        """The learner's calendar date at `now`."""
        return self.local(now).date()

    def day_start(self, now: datetime) -> datetime:
        """Local midnight that began the learner's today, as an aware datetime."""
        return datetime.combine(self.today(now), time.min, tzinfo=self.zone)

    def next_day_start(self, now: datetime) -> datetime:
        return datetime.combine(self.today(now) + timedelta(days=1), time.min, tzinfo=self.zone)


class Deck(models.Model):
    """A learner's own deck of personal cards. Question cards are grouped by topic instead."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_decks")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="cards_deck_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"personal:{self.pk}"

    @classmethod
    def default_for(cls, user) -> "Deck":
        deck, _ = cls.objects.get_or_create(user=user, name=DEFAULT_DECK_NAME)
        return deck


def normalise_tags(tags) -> list[str]:
    """Tags as Anki keeps them: no spaces inside, no duplicates, order kept."""
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    seen: list[str] = []
    for tag in tags:
        for part in str(tag).split():
            if part and part not in seen:
                seen.append(part)
    return seen


def front_digest(front: str) -> str:
    return hashlib.sha256(front.strip().encode()).hexdigest()


class PersonalCard(models.Model):
    """A learner's own card: Markdown front and back, tags, a deck."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_cards")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    front = models.TextField(help_text="Markdown.")
    back = models.TextField(help_text="Markdown.")
    # Space-separated and padded (" a b "), so one tag is found with a plain `contains`.
    tags = models.CharField(max_length=1000, blank=True)
    front_hash = models.CharField(max_length=64, editable=False)
    source = models.CharField(max_length=200, blank=True, help_text="Where the card came from, e.g. an interview.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "front_hash"], name="cards_personal_unique_front")]

    def __str__(self) -> str:
        return self.front[:60]

    def save(self, *args, **kwargs):
        self.front = self.front.strip()
        self.front_hash = front_digest(self.front)
        super().save(*args, **kwargs)

    @property
    def card_id(self) -> str:
        return f"p-{self.pk}"

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    def set_tags(self, tags) -> None:
        names = normalise_tags(tags)
        self.tags = f" {' '.join(names)} " if names else ""


class CardState(models.Model):
    """One learner's FSRS state for one card: a question or a personal card, never both."""

    class Status(models.IntegerChoices):
        LEARNING = int(schedule.State.Learning), "Learning"
        REVIEW = int(schedule.State.Review), "Review"
        RELEARNING = int(schedule.State.Relearning), "Relearning"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states")
    question = models.ForeignKey("questions.Question", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="card_states")
    personal_card = models.OneToOneField(PersonalCard, null=True, blank=True, on_delete=models.CASCADE,
                                         related_name="state")
    fsrs = models.JSONField(default=dict, help_text="py-fsrs Card.to_dict(): the source of truth.")
    # Copies of fsrs fields for queries.
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.LEARNING)
    due = models.DateTimeField(db_index=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Bumped by every review and undo: a page posts the version it showed, so a resent review counts once.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="cards_state_unique_question"),
            models.CheckConstraint(
                condition=(models.Q(question__isnull=False, personal_card__isnull=True)
                           | models.Q(question__isnull=True, personal_card__isnull=False)),
                name="cards_state_one_card",
            ),
        ]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.card_id}"

    @property
    def card_id(self) -> str:
        if self.question_id:
            return f"q-{self.question.slug}"
        return f"p-{self.personal_card_id}"

    def card(self) -> schedule.Card:
        return schedule.Card.from_dict(self.fsrs)

    def set_card(self, card: schedule.Card) -> None:
        self.fsrs = card.to_dict()
        self.status = int(card.state)
        self.due = card.due
        self.last_review = card.last_review

    def rebuild(self) -> schedule.Card:
        """The state py-fsrs computes from this card's review log alone."""
        logs = [schedule.LoggedReview(schedule.Rating(r.rating), r.reviewed_at, r.desired_retention)
                for r in self.reviews.all()]
        return schedule.rebuild(self.fsrs.get("card_id", self.pk), logs)


class Review(models.Model):
    """One review: enough to rebuild the card with py-fsrs, and to undo it exactly."""

    class Rating(models.IntegerChoices):
        AGAIN = 1, "Again"
        HARD = 2, "Hard"
        GOOD = 3, "Good"
        EASY = 4, "Easy"

    class Source(models.TextChoices):
        REVIEW = "review", "Review page"
        CARDS_API = "cards-api", "Flashcards API"
        QUESTION = "question", "Question page"
        QUIZ = "quiz", "Quiz"
        API = "api", "Grading API"
        INTERVIEW = "interview", "Mock interview"
        LAB = "lab", "Lab"

    class Prior(models.IntegerChoices):
        NEW = 0, "New"
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_reviews")
    card_state = models.ForeignKey(CardState, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.REVIEW)
    desired_retention = models.FloatField(default=0.9)
    prior = models.PositiveSmallIntegerField(choices=Prior.choices, help_text="The card's state before.")
    state_before = models.JSONField(null=True, blank=True, help_text="py-fsrs card before; empty for a new card.")
    state_after = models.JSONField(help_text="py-fsrs card after.")

    class Meta:
        ordering = ["reviewed_at", "pk"]
        indexes = [models.Index(fields=["user", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} at {self.reviewed_at:%Y-%m-%d %H:%M}"

    @property
    def recalled(self) -> bool:
        return self.rating > self.Rating.AGAIN

    def log_entry(self) -> schedule.ReviewLog:
        """This row as py-fsrs's own ReviewLog."""
        return schedule.ReviewLog(card_id=self.state_after["card_id"], rating=schedule.Rating(self.rating),
                                  review_datetime=schedule.utc(self.reviewed_at), review_duration=self.duration_ms)


# Reviews made on the flashcard page or its API: they count against the daily new-card limit and can be undone.
FLASHCARD_SOURCES = (Review.Source.REVIEW, Review.Source.CARDS_API)

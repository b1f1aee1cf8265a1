"""Flashcards as learners meet them: the queue, reviewing, undo, and the seams other apps call.

Seams: `add_personal_card()` (the interview scorecard turns missed concepts into cards) and
`on_answer_graded()` (connected to questions.signals.answer_graded in CardsConfig.ready).
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from quizsite.cards import schedule
from quizsite.cards.models import (
    FLASHCARD_SOURCES,
    CardPreferences,
    CardState,
    Deck,
    PersonalCard,
    Review,
    front_digest,
)
from quizsite.lib.markdown import render_markdown
from quizsite.questions.grading import SpecError
from quizsite.questions.locks import hidden_question_ids
from quizsite.questions.models import Question

MAX_FRONT = 5000
MAX_BACK = 20000


class StaleReview(Exception):
    """The card changed since the page showed it: this review was already counted (or overtaken)."""

    def __init__(self, state: CardState | None):
        super().__init__("This card was already reviewed.")
        self.state = state


def fuzzing_enabled() -> bool:
    """Off unless settings.CARDS_FUZZING: then every card can be rebuilt from its log exactly."""
    return bool(getattr(settings, "CARDS_FUZZING", False))


# -- cards -----------------------------------------------------------------------------------------------

@dataclass
class FlashCard:
    """A question or a personal card, seen by one learner, with that learner's state (None when new)."""

    user: object
    question: Question | None = None
    personal: PersonalCard | None = None
    state: CardState | None = None

    @property
    def id(self) -> str:
        return f"q-{self.question.slug}" if self.question else f"p-{self.personal.pk}"

    @property
    def kind(self) -> str:
        return "question" if self.question else "personal"

    @property
    def target(self) -> Question | PersonalCard:
        return self.question or self.personal

    @property
    def title(self) -> str:
        if self.question:
            return self.question.title
        first_line = self.personal.front.strip().splitlines()[0] if self.personal.front.strip() else ""
        return first_line[:80]

    @property
    def deck_name(self) -> str:
        return self.question.topic.name if self.question else self.personal.deck.name

    @property
    def tags(self) -> list[str]:
        if self.question:
            return [self.question.topic.slug] + [t.slug for t in self.question.tags.all()]
        return self.personal.tag_list

    @property
    def is_new(self) -> bool:
        return self.state is None

    @property
    def version(self) -> int:
        return self.state.version if self.state else 0

    @property
    def status_label(self) -> str:
        return self.state.get_status_display() if self.state else "New"

    @cached_property
    def variables(self) -> dict:
        if not self.question:
            return {}
        return self.question.variables_for(f"user-{self.user.pk}")

    @property
    def prompt_html(self) -> str:
        if self.question:
            return self.question.prompt_html(self.variables or None)
        return render_markdown(self.personal.front)

    @property
    def answer_html(self) -> str:
        """The back of a personal card; for questions, see expected_answer and the explanation."""
        return render_markdown(self.personal.back) if self.personal else ""

    @property
    def model_answer_html(self) -> str:
        return self.question.model_answer_html() if self.question and self.question.is_free_text else ""

    @property
    def explanation_html(self) -> str:
        return self.question.explanation_html(self.variables or None) if self.question else ""

    @property
    def choices(self) -> list[dict]:
        return self.question.public_choices() if self.question and self.question.is_choice else []

    @cached_property
    def expected_answer(self) -> str:
        """What the back shows as the answer, for questions that have one besides the explanation."""
        question = self.question
        if question is None:
            return ""
        if question.is_choice:
            return "; ".join(c["text"] for c in question.spec.get("choices", []) if c.get("correct"))
        if question.type in (Question.Type.NUMERIC, Question.Type.CALCULATED):
            try:
                return question.grade("0", self.variables or None).expected
            except SpecError:  # a variable only a lab run supplies; such questions are not cards
                return ""
        return ""

    def context(self) -> dict:
        return {"card": self, "question": self.question, "personal": self.personal}

    def front_html(self) -> str:
        return render_to_string("cards/faces/front.html", self.context())

    def back_html(self) -> str:
        return render_to_string("cards/faces/back.html", self.context())

    def fsrs_card(self, now: datetime) -> schedule.Card:
        return self.state.card() if self.state else schedule.new_card(0, now)

    def intervals(self, now: datetime, desired_retention: float) -> list[dict]:
        """The four rating buttons: rating, name, key and the interval each would give."""
        previews = schedule.preview(self.fsrs_card(now), now, desired_retention)
        return [
            {"rating": int(rating), "name": rating.name, "label": schedule.format_interval(previews[rating]),
             "words": schedule.describe_interval(previews[rating])}
            for rating in schedule.Rating
        ]


def question_is_card(question: Question) -> bool:
    """Questions bound to a lab run's numbers need that run; they are asked on the lab page, not as cards."""
    return not question.is_retired and not question.uses_run_variables


@dataclass(frozen=True)
class CardFilter:
    """Which cards to study: a deck ("topic:<slug>" or "personal:<id>") and a tag, both optional."""

    deck: str = ""
    tag: str = ""

    @classmethod
    def from_query(cls, data) -> "CardFilter":
        return cls(deck=(data.get("deck") or "").strip()[:120], tag=(data.get("tag") or "").strip()[:60])

    @property
    def topic_slug(self) -> str | None:
        return self.deck.removeprefix("topic:") if self.deck.startswith("topic:") else None

    @property
    def personal_deck_id(self) -> int | None:
        if not self.deck.startswith("personal:"):
            return None
        raw = self.deck.removeprefix("personal:")
        # ASCII digits only ("²".isdigit() is true but int() refuses it), and within a database integer.
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else -1

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in (("deck", self.deck), ("tag", self.tag)) if v}

    def questions(self) -> list[Question]:
        """The question cards, light: only what counting and ordering them needs (the prompt, spec and
        explanation of every question in the bank were most of a review page's time). The cards a page shows
        are loaded whole by load_full()."""
        if self.personal_deck_id is not None:
            return []
        # bank(): live and not bound to a lab run, the same cards question_is_card() tells one by one.
        questions = Question.objects.bank().select_related("topic").only(*LIGHT_QUESTION_FIELDS)
        if self.topic_slug is not None:
            questions = questions.filter(topic__slug=self.topic_slug)
        if self.tag:
            questions = questions.filter(tags__slug=self.tag)
        return list(questions)

    def personal_cards(self, user) -> list[PersonalCard]:
        if self.topic_slug is not None:
            return []
        cards = PersonalCard.objects.filter(user=user).select_related("deck")
        if self.personal_deck_id is not None:
            cards = cards.filter(deck_id=self.personal_deck_id)
        if self.tag:
            cards = cards.filter(tags__contains=f" {self.tag} ")
        return list(cards)

    def cards(self, user) -> list[FlashCard]:
        """Every card this filter selects for the learner, each with its state; never the cards of questions
        whose answers are hidden from the learner now (an exam in progress)."""
        states = CardState.objects.filter(user=user)
        by_question = {}
        by_personal = {}
        for state in states:
            if state.question_id:
                by_question[state.question_id] = state
            else:
                by_personal[state.personal_card_id] = state
        cards = [FlashCard(user, personal=p, state=by_personal.get(p.pk)) for p in self.personal_cards(user)]
        hidden = hidden_question_ids(user, "", timezone.now())
        cards += [FlashCard(user, question=q, state=by_question.get(q.pk)) for q in self.questions()
                  if q.pk not in hidden]
        for card in cards:
            if card.state is not None and card.question:
                # The state's card_id reads question.slug; reuse the object already loaded.
                card.state.question = card.question
        return cards


LIGHT_QUESTION_FIELDS = ("slug", "title", "type", "difficulty", "is_retired", "needs_run", "topic__slug",
                         "topic__name", "topic__position")


def load_full(cards: list[FlashCard]) -> None:
    """Replace the light questions of these cards by whole ones (prompt, spec, tags), in two queries."""
    ids = {card.question.pk for card in cards if card.question is not None}
    if not ids:
        return
    full = Question.objects.select_related("topic").prefetch_related("tags").in_bulk(ids)
    for card in cards:
        if card.question is not None:
            card.question = full[card.question.pk]
            if card.state is not None:
                card.state.question = card.question


def find_card(user, card_id: str) -> FlashCard | None:
    """A card by its API id: "q-<question slug>" or "p-<personal card id>" (only the learner's own)."""
    kind, _, key = card_id.partition("-")
    if kind == "q" and key:
        question = Question.objects.select_related("topic").filter(slug=key).first()
        if question is None or not question_is_card(question):
            return None
        state = CardState.objects.filter(user=user, question=question).first()
        return FlashCard(user, question=question, state=state)
    if kind == "p" and key.isascii() and key.isdigit():
        personal = PersonalCard.objects.select_related("deck").filter(user=user, pk=int(key)).first()
        if personal is None:
            return None
        state = CardState.objects.filter(personal_card=personal).first()
        return FlashCard(user, personal=personal, state=state)
    return None


# -- the queue -------------------------------------------------------------------------------------------

@dataclass
class Queue:
    """What the review page shows: counts, the cards in order, and when the next one comes due."""

    due: list[FlashCard]
    new: list[FlashCard]
    new_remaining: int
    next_due: datetime | None
    new_limited: bool
    preferences: CardPreferences
    cards: list[FlashCard] = field(default_factory=list)

    @property
    def due_count(self) -> int:
        return len(self.due)

    @property
    def new_count(self) -> int:
        return min(len(self.new), self.new_remaining)

    @property
    def current(self) -> FlashCard | None:
        return self.cards[0] if self.cards else None

    def next_due_in(self, now: datetime) -> str:
        return wait_text(self.next_due - now) if self.next_due else ""


def wait_text(wait: timedelta) -> str:
    """How long until something, in words, rounded up: "in 10 minutes", "in 3 hours", "in 2 days"."""
    minutes = max(math.ceil(wait.total_seconds() / 60), 1)
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 24:
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = round(hours / 24)
    return f"in {days} day{'s' if days != 1 else ''}"


def new_introduced_today(user, now: datetime, preferences: CardPreferences) -> int:
    """New cards first studied today (the learner's today) on the flashcard page or its API."""
    return Review.objects.filter(
        user=user, prior=Review.Prior.NEW, source__in=FLASHCARD_SOURCES,
        reviewed_at__gte=preferences.day_start(now),
    ).count()


def build_queue(user, now: datetime, card_filter: CardFilter | None = None, first: str = "") -> Queue:
    """Due cards (oldest first), then new cards up to today's limit; `first` (a card id) leads if queued."""
    preferences = CardPreferences.for_user(user)
    cards = (card_filter or CardFilter()).cards(user)
    due = sorted((c for c in cards if c.state and c.state.due <= now), key=lambda c: c.state.due)
    new = [c for c in cards if c.state is None]
    new_remaining = max(preferences.new_per_day - new_introduced_today(user, now, preferences), 0)
    upcoming = [c.state.due for c in cards if c.state and c.state.due > now]
    queue = Queue(
        due=due,
        new=new,
        new_remaining=new_remaining,
        next_due=min(upcoming) if upcoming else None,
        new_limited=bool(new) and new_remaining == 0,
        preferences=preferences,
    )
    queue.cards = due + new[:new_remaining]
    load_full(queue.cards)
    if first:
        lead = next((c for c in queue.cards if c.id == first), None)
        if lead is not None:
            queue.cards.remove(lead)
            queue.cards.insert(0, lead)
        elif new_remaining:
            lead = next((c for c in new if c.id == first), None)
            if lead is not None:
                # Studied in place of the last new card of today's share: the limit still holds.
                queue.cards.pop()
                queue.cards.insert(0, lead)
                load_full([lead])
    return queue


# -- reviewing -------------------------------------------------------------------------------------------

def _lookup(target: Question | PersonalCard) -> dict:
    if isinstance(target, Question):
        return {"question": target}
    return {"personal_card": target}


def review_card(
    user,
    target: Question | PersonalCard,
    rating: int,
    now: datetime,
    source: str = Review.Source.REVIEW,
    expected_version: int | None = None,
    duration_ms: int | None = None,
) -> Review:
    """Review one card with py-fsrs and log it. With `expected_version` (what the page showed), a review
    sent twice counts once: the second raises StaleReview. Safe under concurrency: the state row is
    locked, and two first reviews of a new card race on a unique constraint and the loser retries."""
    rating = schedule.Rating(int(rating))
    preferences = CardPreferences.for_user(user)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _review_locked(user, target, rating, now, source, expected_version, duration_ms,
                                      preferences.desired_retention)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _review_locked(user, target, rating: schedule.Rating, now: datetime, source: str,
                   expected_version: int | None, duration_ms: int | None, retention: float) -> Review:
    lookup = _lookup(target)
    state = CardState.objects.select_for_update().filter(user=user, **lookup).first()
    if expected_version is not None and expected_version != (state.version if state else 0):
        raise StaleReview(state)
    if state is None:
        state = CardState(user=user, due=now, **lookup)
        state.save()
        before = None
        prior = Review.Prior.NEW
        card = schedule.new_card(state.pk, now)
    else:
        before = state.fsrs
        prior = Review.Prior(state.status)
        card = state.card()
    after = schedule.review(card, rating, now, retention, fuzzing_enabled())
    state.set_card(after)
    state.reps += 1
    if prior == Review.Prior.REVIEW and rating == schedule.Rating.Again:
        state.lapses += 1
    state.version += 1
    state.save()
    return Review.objects.create(
        user=user,
        card_state=state,
        rating=int(rating),
        reviewed_at=now,
        duration_ms=duration_ms,
        source=source if source in Review.Source.values else Review.Source.QUESTION,
        desired_retention=retention,
        prior=prior,
        state_before=before,
        state_after=after.to_dict(),
    )


@dataclass(frozen=True)
class Undone:
    card_id: str
    rating: int


def undo_last_review(user) -> Undone | None:
    """Take back the learner's last flashcard review: the card returns to exactly its state before (a new
    card becomes new again). Nothing happens when the card has been reviewed elsewhere since."""
    with transaction.atomic():
        last = (Review.objects.select_for_update().filter(user=user, source__in=FLASHCARD_SOURCES)
                .order_by("-reviewed_at", "-pk").first())
        if last is None:
            return None
        state = CardState.objects.select_for_update().get(pk=last.card_state_id)
        latest = state.reviews.order_by("-reviewed_at", "-pk").first()
        if latest.pk != last.pk:
            return None
        undone = Undone(state.card_id, last.rating)
        if last.state_before is None:
            state.delete()
            return undone
        state.set_card(schedule.Card.from_dict(last.state_before))
        state.reps = max(state.reps - 1, 0)
        if last.prior == Review.Prior.REVIEW and last.rating == Review.Rating.AGAIN:
            state.lapses = max(state.lapses - 1, 0)
        state.version += 1
        last.delete()
        state.save()
        return undone


def last_undoable(user) -> Review | None:
    return (Review.objects.filter(user=user, source__in=FLASHCARD_SOURCES)
            .order_by("-reviewed_at", "-pk").first())


# -- seams -----------------------------------------------------------------------------------------------

def add_personal_card(user, front: str, back: str, tags: list[str], source: str = "",
                      deck: Deck | None = None) -> PersonalCard:
    """A card in the learner's personal deck (or `deck`). Idempotent: the same front returns the card
    the learner already has."""
    front = (front or "").strip()
    if not front:
        raise ValueError("A card needs a front.")
    digest = front_digest(front)
    existing = PersonalCard.objects.filter(user=user, front_hash=digest).first()
    if existing is not None:
        return existing
    card = PersonalCard(user=user, deck=deck or Deck.default_for(user), front=front, back=(back or "").strip(),
                        source=(source or "")[:200])
    card.set_tags(tags or [])
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:
        return PersonalCard.objects.get(user=user, front_hash=digest)
    return card


def on_answer_graded(sender, user=None, question=None, grade=None, source: str = "question", **kwargs) -> None:
    """Answers anywhere feed the schedule: correct → Good, partial → Hard, incorrect → Again."""
    if user is None or question is None or grade is None or not getattr(user, "is_authenticated", False):
        return
    rating = schedule.rating_for_verdict(getattr(grade, "verdict", ""))
    if rating is None or not question_is_card(question):
        return
    review_card(user, question, rating, kwargs.get("answered_at") or timezone.now(), source=source)

"""Flashcards over the API. Card ids: "q-<question slug>" for questions, "p-<id>" for personal cards."""

from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizsite.cards.models import CardState, Review
from quizsite.cards.serializers import (
    CARD_ID_HELP,
    DueSerializer,
    ReviewRequestSerializer,
    ReviewResponseSerializer,
    StatsSerializer,
    UndoResponseSerializer,
)
from quizsite.cards.services import (
    CardFilter,
    FlashCard,
    StaleReview,
    build_queue,
    find_card,
    review_card,
    undo_last_review,
)
from quizsite.cards.stats import card_stats

MAX_LIMIT = 100
ERROR = OpenApiResponse(description='JSON error: {"error": "...", "detail": ...}')


def card_payload(card: FlashCard, now: datetime, desired_retention: float) -> dict:
    return {
        "id": card.id,
        "kind": card.kind,
        "title": card.title,
        "deck": card.deck_name,
        "tags": card.tags,
        "state": card.status_label.lower(),
        "due": card.state.due if card.state else None,
        "version": card.version,
        "front_html": card.front_html(),
        "back_html": card.back_html(),
        "intervals": {b["name"].lower(): b["label"] for b in card.intervals(now, desired_retention)},
    }


def state_payload(state: CardState, review: Review) -> dict:
    return {
        "id": state.card_id,
        "review_id": review.pk,
        "rating": review.rating,
        "reviewed_at": review.reviewed_at,
        "state": CardState.Status(state.status).label.lower(),
        "due": state.due,
        "stability": state.fsrs["stability"],
        "difficulty": state.fsrs["difficulty"],
        "step": state.fsrs["step"],
        "reps": state.reps,
        "lapses": state.lapses,
        "version": state.version,
    }


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return 20
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({"limit": ["Must be a whole number."]}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
    return value


class CardsDue(APIView):
    """The review queue: due cards (oldest first), then new cards within today's limit."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("deck", str, description='"topic:<topic slug>" or "personal:<deck id>"; all cards if absent.'),
            OpenApiParameter("tag", str, description="Only cards with this tag."),
            OpenApiParameter("limit", int, description=f"How many cards to return (1-{MAX_LIMIT}, default 20)."),
        ],
        responses={200: DueSerializer, 400: ERROR, 403: ERROR},
    )
    def get(self, request):
        limit = _limit(request.query_params.get("limit"))
        now = timezone.now()
        queue = build_queue(request.user, now, CardFilter.from_query(request.query_params))
        retention = queue.preferences.desired_retention
        return Response({
            "counts": {
                "due": queue.due_count,
                "new": queue.new_count,
                "new_remaining_today": queue.new_remaining,
                "new_per_day": queue.preferences.new_per_day,
            },
            "next_due": queue.next_due,
            "cards": [card_payload(card, now, retention) for card in queue.cards[:limit]],
        })


class CardReview(APIView):
    """Rate a card: py-fsrs schedules it; the response has its new state and due time."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("card_id", str, OpenApiParameter.PATH, description=CARD_ID_HELP)],
        request=ReviewRequestSerializer,
        responses={200: ReviewResponseSerializer, 400: ERROR, 403: ERROR, 404: ERROR,
                   409: OpenApiResponse(description="The version is out of date: this review was already counted.")},
    )
    def post(self, request, card_id: str):
        card = find_card(request.user, card_id)
        if card is None:
            raise NotFound(f"No card {card_id!r}. {CARD_ID_HELP}")
        serializer = ReviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            review = review_card(request.user, card.target, int(data["rating"]), timezone.now(),
                                 source=Review.Source.CARDS_API, expected_version=data.get("version"),
                                 duration_ms=data.get("duration_ms"))
        except StaleReview as stale:
            current = stale.state.version if stale.state else 0
            message = f"This card changed since version {data.get('version')}; it is at version {current}."
            return Response({"error": "Already reviewed.", "detail": message, "version": current},
                            status=status.HTTP_409_CONFLICT)
        return Response(state_payload(review.card_state, review))


class CardUndo(APIView):
    """Take back your last flashcard review: the card returns exactly to its state before."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: UndoResponseSerializer, 403: ERROR,
                                            409: OpenApiResponse(description="Nothing to undo.")})
    def post(self, request):
        undone = undo_last_review(request.user)
        if undone is None:
            return Response({"error": "Nothing to undo.", "detail": "There is no flashcard review to undo."},
                            status=status.HTTP_409_CONFLICT)
        return Response({"id": undone.card_id, "rating": undone.rating})


class CardStats(APIView):
    """Reviews per day, true retention, the 30-day due forecast and cards by state."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: StatsSerializer, 403: ERROR})
    def get(self, request):
        data = card_stats(request.user, timezone.now())
        data["heatmap"] = {k: v for k, v in data["heatmap"].items() if k != "weeks"}
        return Response(data)

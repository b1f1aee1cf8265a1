from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from quizsite.cards.forms import ImportForm, PersonalCardForm, PreferencesForm, RateForm
from quizsite.cards.models import CardPreferences, Deck, PersonalCard, front_digest
from quizsite.cards.services import (
    CardFilter,
    FlashCard,
    StaleReview,
    add_personal_card,
    build_queue,
    find_card,
    last_undoable,
    load_full,
    review_card,
    undo_last_review,
)
from quizsite.cards.stats import card_stats
from quizsite.cards.transfer import ImportFailed, export_cards, export_names, import_cards
from quizsite.questions.models import Tag, Topic


def _review_url(card_filter: CardFilter, first: str = "") -> str:
    query = card_filter.as_query()
    if first:
        query["card"] = first
    return reverse("cards-review") + (f"?{urlencode(query)}" if query else "")


def _get_card_for_user(request: HttpRequest, card_id: str) -> FlashCard:
    card = find_card(request.user, card_id)
    if card is None:
        raise Http404("No such card")
    return card


def _get_personal_card_for_user(request: HttpRequest, pk: int) -> PersonalCard:
    return get_object_or_404(PersonalCard, pk=pk, user=request.user)


def _review_context(request: HttpRequest, card_filter: CardFilter, first: str = "", notice: str = "") -> dict:
    now = timezone.now()
    queue = build_queue(request.user, now, card_filter, first=first)
    card = queue.current
    return {
        "queue": queue,
        "card": card,
        "intervals": card.intervals(now, queue.preferences.desired_retention) if card else [],
        "card_filter": card_filter,
        "can_undo": last_undoable(request.user) is not None,
        "notice": notice,
        "now": now,
        "tomorrow": queue.preferences.next_day_start(now),
        "next_due_in": queue.next_due_in(now),
    }


def _after_review(request: HttpRequest, card_filter: CardFilter, first: str = "", notice: str = "",
                  status: int = 200) -> HttpResponse:
    """htmx gets the new review section; a plain form post is redirected back to the page."""
    if request.htmx:
        context = _review_context(request, card_filter, first, notice)
        return render(request, "cards/_review.html", context, status=status)
    if notice:
        messages.info(request, notice)
    return redirect(_review_url(card_filter, first))


# cards-review

@login_required
def review(request: HttpRequest) -> HttpResponse:
    card_filter = CardFilter.from_query(request.GET)
    context = _review_context(request, card_filter, first=request.GET.get("card", ""))
    context.update(_filter_choices(request.user))
    return render(request, "cards/review.html", context)


@login_required
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    card_filter = CardFilter.from_query(request.POST)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _after_review(request, card_filter, notice="Choose Again, Hard, Good or Easy to rate the card.",
                             status=400)
    data = form.cleaned_data
    card = _get_card_for_user(request, data["card"])
    try:
        review_card(request.user, card.target, data["rating"], timezone.now(), expected_version=data["version"],
                    duration_ms=data["duration_ms"])
    except StaleReview:
        return _after_review(request, card_filter, notice="That card was already reviewed; here is the next one.")
    return _after_review(request, card_filter)


@login_required
@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    card_filter = CardFilter.from_query(request.POST)
    undone = undo_last_review(request.user)
    if undone is None:
        return _after_review(request, card_filter, notice="There is no review to undo.")
    return _after_review(request, card_filter, first=undone.card_id, notice="Review undone.")


# cards-stats

@login_required
def stats(request: HttpRequest) -> HttpResponse:
    data = card_stats(request.user, timezone.now())
    return render(request, "cards/stats.html", {"stats": data})


# cards-decks

def _filter_choices(user) -> dict:
    return {
        "topics": Topic.objects.filter(is_retired=False),
        "personal_decks": Deck.objects.filter(user=user),
        "tags": Tag.objects.filter(questions__is_retired=False).distinct(),
    }


def _deck_rows(user) -> list[dict]:
    now = timezone.now()
    rows: dict[str, dict] = {}
    for topic in Topic.objects.filter(is_retired=False):
        rows[f"topic:{topic.slug}"] = {"key": f"topic:{topic.slug}", "name": topic.name, "kind": "Topic",
                                       "total": 0, "due": 0, "new": 0}
    for deck in Deck.objects.filter(user=user):
        rows[deck.key] = {"key": deck.key, "name": deck.name, "kind": "Your deck", "total": 0, "due": 0, "new": 0,
                          "deck": deck}
    for card in CardFilter().cards(user):
        key = f"topic:{card.question.topic.slug}" if card.question else f"personal:{card.personal.deck_id}"
        row = rows.get(key)
        if row is None:
            continue
        row["total"] += 1
        row["new"] += card.is_new
        row["due"] += bool(card.state and card.state.due <= now)
    return [row for row in rows.values() if row["total"] or row["kind"] == "Your deck"]


def _decks_page(request: HttpRequest, card_form=None, import_form=None, import_errors=None,
                status: int = 200) -> HttpResponse:
    return render(request, "cards/decks.html", {
        "decks": _deck_rows(request.user),
        "card_form": card_form or PersonalCardForm(),
        "import_form": import_form or ImportForm(),
        "import_errors": import_errors or [],
        "personal_cards": (PersonalCard.objects.filter(user=request.user).select_related("deck")
                           .order_by("-created_at", "-pk")[:100]),
        "personal_total": PersonalCard.objects.filter(user=request.user).count(),
        "tags": Tag.objects.filter(questions__is_retired=False).annotate(n=Count("questions")).order_by("slug"),
    }, status=status)


@login_required
def decks(request: HttpRequest) -> HttpResponse:
    return _decks_page(request)


@login_required
@require_POST
def personal_add(request: HttpRequest) -> HttpResponse:
    form = PersonalCardForm(request.POST)
    if not form.is_valid():
        return _decks_page(request, card_form=form, status=400)
    data = form.cleaned_data
    existing = PersonalCard.objects.filter(user=request.user, front_hash=front_digest(data["front"])).first()
    if existing is not None:
        form.add_error("front", f"You already have a card with this front, in {existing.deck.name}.")
        return _decks_page(request, card_form=form, status=400)
    deck, _ = Deck.objects.get_or_create(user=request.user, name=data["deck"].strip())
    add_personal_card(request.user, data["front"], data["back"], data["tags"], source="added", deck=deck)
    messages.success(request, f"Card added to {deck.name}.")
    return redirect("cards-decks")


@login_required
@require_POST
def personal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    card = _get_personal_card_for_user(request, pk)
    card.delete()
    messages.success(request, "Card deleted, with its review history.")
    return redirect("cards-decks")


@login_required
@require_POST
def import_csv(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _decks_page(request, import_form=form, status=400)
    try:
        cards = import_cards(request.user, form.cleaned_data["deck"], form.cleaned_data["file"].read())
    except ImportFailed as failure:
        return _decks_page(request, import_form=form, import_errors=failure.errors, status=400)
    messages.success(request, f"Imported {len(cards)} cards into {form.cleaned_data['deck'].strip()}.")
    return redirect("cards-decks")


@login_required
def export(request: HttpRequest) -> HttpResponse:
    card_filter = CardFilter.from_query(request.GET)
    if card_filter.personal_deck_id is not None:
        get_object_or_404(Deck, pk=card_filter.personal_deck_id, user=request.user)
    name, deck_name = export_names(card_filter, request.user)
    cards = card_filter.cards(request.user)
    load_full(cards)  # every card's front and back
    response = HttpResponse(export_cards(cards, deck_name), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="breaking-point-{name}.txt"'
    return response


# cards-settings

@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    instance = CardPreferences.for_user(request.user)
    form = PreferencesForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Flashcard settings saved.")
            return redirect("cards-settings")
        return render(request, "cards/settings.html", {"form": form}, status=400)
    return render(request, "cards/settings.html", {"form": form})

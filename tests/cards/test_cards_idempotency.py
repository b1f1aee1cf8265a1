"""The same review sent twice counts once: the page and the API send the card's version as the key."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse

from quizsite.cards.models import CardState, Review
from quizsite.cards.services import StaleReview, add_personal_card, review_card

NOON = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_two_posts_of_the_same_page_review_count_once(learner_client, learner):
    """Posting a rating twice with the version the page showed makes one review; the second is told so."""
    card = add_personal_card(learner, "What is a p-value?", "Not this course.", [])
    form = {"card": card.card_id, "version": 0, "rating": 3}
    first = learner_client.post(reverse("cards-rate"), form, HTTP_HX_REQUEST="true")
    second = learner_client.post(reverse("cards-rate"), form, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert "already reviewed" in second.content.decode()
    assert Review.objects.filter(user=learner).count() == 1
    assert CardState.objects.get(personal_card=card).version == 1


@pytest.mark.django_db
def test_two_api_posts_with_the_same_version_count_once(api_client, learner):
    """The API answers the duplicate with 409 and the card's current version; one review is stored."""
    api_client.force_authenticate(learner)
    card = add_personal_card(learner, "Coordinated omission?", "The generator waits, hiding latency.", [])
    url = reverse("api-cards-review", args=[card.card_id])
    first = api_client.post(url, {"rating": 2, "version": 0}, format="json")
    second = api_client.post(url, {"rating": 2, "version": 0}, format="json")
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["version"] == 1
    assert Review.objects.filter(user=learner).count() == 1


@pytest.mark.django_db
def test_a_review_after_the_state_moved_on_is_stale(learner):
    """A key from an older page is refused once the card has been reviewed since."""
    card = add_personal_card(learner, "Tail at scale?", "Fan-out amplifies the tail.", [])
    review_card(learner, card, 3, NOON, expected_version=0)
    review_card(learner, card, 3, NOON + timedelta(minutes=10), expected_version=1)
    with pytest.raises(StaleReview):
        review_card(learner, card, 3, NOON + timedelta(minutes=11), expected_version=1)
    assert CardState.objects.get(personal_card=card).reps == 2


def _race(user, card, version: int, at: datetime, threads: int = 2) -> list[str]:
    """Send the same review from several threads at once; return what each thread saw."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def submit():
        try:
            barrier.wait()
            review_card(user, card, 3, at, expected_version=version)
            outcomes.append("counted")
        except StaleReview:
            outcomes.append("stale")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("already_reviewed", [False, True], ids=["new-card", "reviewed-card"])
def test_the_same_review_from_two_threads_at_once_counts_once(django_user_model, already_reviewed):
    """Two simultaneous submissions with one key: one counts, the other is stale (SQLite and PostgreSQL)."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Shared-cache memory databases fail fast with "table is locked" instead of waiting as a file does.
        pytest.skip("needs a file or server database: set SQLITE_TEST_PATH, or DATABASE_URL for PostgreSQL")
    user = django_user_model.objects.create_user("racer", "racer@example.com", "pw-for-racing-42")
    card = add_personal_card(user, "Queueing delay near saturation?", "It grows like 1/(1-ρ).", [])
    version = 0
    if already_reviewed:
        review_card(user, card, 3, NOON)
        version = 1
    outcomes = _race(user, card, version, NOON + timedelta(minutes=15))
    assert outcomes == ["counted", "stale"]
    assert Review.objects.filter(user=user).count() == version + 1
    assert CardState.objects.get(personal_card=card).version == version + 1

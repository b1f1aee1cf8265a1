"""GET /api/v1/cards/due, POST /api/v1/cards/<id>/review, POST /api/v1/cards/undo, GET /api/v1/cards/stats."""

import pytest
from django.urls import reverse

from quizsite.cards.models import CardPreferences, CardState, Review
from quizsite.cards.services import add_personal_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def test_the_api_needs_a_signed_in_learner(api_client):
    """Anonymous calls get a JSON 403."""
    for name, method in [("api-cards-due", "get"), ("api-cards-stats", "get"), ("api-cards-undo", "post")]:
        response = getattr(api_client, method)(reverse(name))
        assert response.status_code in (401, 403)
        assert "error" in response.json()


def test_due_lists_counts_and_cards_with_their_intervals(client_for, learner):
    """A fresh learner has 20 new cards a day; each card comes with its id, faces and button intervals."""
    CardPreferences.objects.create(user=learner, new_per_day=5)
    body = client_for.get(reverse("api-cards-due")).json()
    assert body["counts"] == {"due": 0, "new": 5, "new_remaining_today": 5, "new_per_day": 5}
    assert len(body["cards"]) == 5
    card = body["cards"][0]
    assert card["id"].startswith("q-") and card["state"] == "new" and card["version"] == 0
    assert card["intervals"]["again"] == "1m" and card["intervals"]["good"] == "10m"
    assert card["front_html"] and card["back_html"]
    assert body["next_due"] is None


def test_review_returns_the_new_state_and_due_time(client_for, learner):
    """Rating a card returns py-fsrs's state for it; the due list then shows one fewer new card."""
    card_id = client_for.get(reverse("api-cards-due")).json()["cards"][0]["id"]
    response = client_for.post(reverse("api-cards-review", args=[card_id]), {"rating": 3, "version": 0},
                               format="json")
    assert response.status_code == 200
    body = response.json()
    state = CardState.objects.get(user=learner)
    assert body["id"] == card_id
    assert body["state"] == "learning" and body["step"] == 1
    assert body["due"].replace("Z", "+00:00") == state.due.isoformat()
    assert body["stability"] == state.fsrs["stability"] and body["version"] == 1
    assert Review.objects.get().source == Review.Source.CARDS_API
    counts = client_for.get(reverse("api-cards-due")).json()["counts"]
    assert counts["new"] == 19


@pytest.mark.parametrize("payload", [{"rating": 0}, {"rating": 5}, {"rating": "good"}, {"rating": 2.5},
                                     {"rating": True}, {"rating": None}, {}, {"rating": 3, "version": -1}, []])
def test_bad_ratings_give_400_json(client_for, payload):
    """Anything but a rating of 1-4 is a JSON 400 and no review."""
    response = client_for.post(reverse("api-cards-review", args=["q-what-is-p99"]), payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Review.objects.exists()


def test_malformed_json_is_a_400(client_for):
    """A body that is not JSON is refused with JSON, not a 500."""
    response = client_for.post(reverse("api-cards-review", args=["q-what-is-p99"]), "{rating:",
                               content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.parametrize("card_id", ["q-no-such-question", "p-999999", "x-1", "p-abc", "q-"])
def test_unknown_cards_give_404_json(client_for, card_id):
    """Unknown or malformed ids are a JSON 404 that explains the id format."""
    response = client_for.post(reverse("api-cards-review", args=[card_id]), {"rating": 3}, format="json")
    assert response.status_code == 404
    assert "q-<question slug>" in response.json()["detail"]


def test_another_learners_personal_card_is_not_found(client_for, other_learner):
    """Personal cards are private: someone else's id is a 404."""
    theirs = add_personal_card(other_learner, "Mine only", "Yes", [])
    response = client_for.post(reverse("api-cards-review", args=[theirs.card_id]), {"rating": 3}, format="json")
    assert response.status_code == 404


def test_undo_takes_back_the_last_review_and_then_has_nothing_left(client_for, learner):
    """Undo restores the card; a second undo with nothing to take back is a 409."""
    client_for.post(reverse("api-cards-review", args=["q-what-is-p99"]), {"rating": 1}, format="json")
    first = client_for.post(reverse("api-cards-undo"))
    assert first.status_code == 200
    assert first.json() == {"id": "q-what-is-p99", "rating": 1}
    assert not CardState.objects.filter(user=learner).exists()
    second = client_for.post(reverse("api-cards-undo"))
    assert second.status_code == 409 and second.json()["error"] == "Nothing to undo."


def test_stats_report_states_retention_forecast_and_days(client_for):
    """Stats come back as JSON with the parts the page draws."""
    client_for.post(reverse("api-cards-review", args=["q-what-is-p99"]), {"rating": 4}, format="json")
    body = client_for.get(reverse("api-cards-stats")).json()
    assert body["cards_by_state"]["review"] == 1
    assert len(body["forecast"]) == 30 and sum(d["count"] for d in body["forecast"]) == 1
    assert body["heatmap"]["total"] == 1 and body["heatmap"]["days"][0]["count"] == 1
    assert body["retention"]["all_time"] == {"recalled": 0, "total": 0, "rate": None}


def test_due_rejects_a_bad_limit(client_for):
    """limit must be 1-100."""
    assert client_for.get(reverse("api-cards-due"), {"limit": "0"}).status_code == 400
    assert client_for.get(reverse("api-cards-due"), {"limit": "lots"}).status_code == 400
    assert len(client_for.get(reverse("api-cards-due"), {"limit": "3"}).json()["cards"]) == 3


def test_the_schema_documents_the_card_ids(client):
    """The OpenAPI schema explains the card id format on the review endpoint."""
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/cards/{card_id}/review" in schema
    assert "q-<question slug>" in schema

"""The review queue stays a fixed number of queries however many cards it holds (no query per card)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_due_api_costs_the_same_for_1_and_100_cards(learner_client, django_assert_max_num_queries):
    """Light rows for counting the whole bank, whole rows (two queries) for the cards returned."""
    one = queries(learner_client, "/api/v1/cards/due?limit=1")
    many = queries(learner_client, "/api/v1/cards/due?limit=100")
    assert many == one
    with django_assert_max_num_queries(12):
        body = learner_client.get("/api/v1/cards/due?limit=100").json()
    assert len(body["cards"]) == body["counts"]["new"]
    assert all(card["front_html"] and card["intervals"] for card in body["cards"])


def test_the_review_page_and_the_decks_page_are_a_fixed_number_of_queries(learner_client,
                                                                           django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        assert learner_client.get("/cards/").status_code == 200
    with django_assert_max_num_queries(12):
        assert learner_client.get("/cards/decks/").status_code == 200


def test_export_loads_every_card_whole_in_a_fixed_number_of_queries(learner_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = learner_client.get("/cards/decks/export")
    assert response.status_code == 200
    assert response.content.count(b"\n") > 100  # every question card, front and back


def test_the_questions_api_lists_a_page_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    """Count, the page's rows and their tags (and the content version); nothing per question."""
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/questions/").json()
    assert len(body["results"]) == 50 and all(q["tags"] is not None for q in body["results"])

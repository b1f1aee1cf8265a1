"""The review page, rating and undo through forms, decks, stats and settings pages."""

import re

import pytest
from django.urls import reverse

from quizsite.cards.models import CardPreferences, CardState, Review
from quizsite.cards.services import add_personal_card, build_queue
from quizsite.questions.models import Question

pytestmark = pytest.mark.django_db


def _counts(html: str) -> tuple[int, int]:
    due = int(re.search(r'data-count="due">(\d+)<', html).group(1))
    new = int(re.search(r'data-count="new">(\d+)<', html).group(1))
    return due, new


def _current(html: str) -> tuple[str, int]:
    card = re.search(r'name="card" value="([^"]+)"', html).group(1)
    version = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    return card, version


def test_review_page_needs_a_signed_in_learner(client):
    """Anonymous visitors are sent to log in."""
    response = client.get(reverse("cards-review"))
    assert response.status_code == 302
    assert reverse("accounts-login") in response["Location"]


def test_review_page_shows_counts_a_card_and_four_rating_buttons_with_intervals(learner_client):
    """A new learner sees 20 new cards, one card, and Again/Hard/Good/Easy with their intervals."""
    response = learner_client.get(reverse("cards-review"))
    html = response.content.decode()
    assert response.status_code == 200
    assert _counts(html) == (0, 20)
    for name, interval in [("Again", "1m"), ("Hard", "6m"), ("Good", "10m")]:
        assert re.search(rf'rate-name">{name}</span>(<span class="visually-hidden">[^<]*</span>)?\s*<span class="rate-interval"[^>]*>{interval}<', html)
    assert re.search(r'rate-name">Easy</span>(<span class="visually-hidden">[^<]*</span>)?\s*<span class="rate-interval"[^>]*>\d+d<', html)
    assert "Show answer" in html


def test_rating_a_card_by_form_post_schedules_it_and_moves_on(learner_client, learner):
    """Posting Good on a new card makes it Learning, due in 10 minutes, and the new count drops."""
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    response = learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": 3},
                                   follow=True)
    html = response.content.decode()
    assert _counts(html) == (0, 19)
    state = CardState.objects.get(user=learner)
    assert state.card_id == card_id
    assert state.status == CardState.Status.LEARNING
    assert _current(html)[0] != card_id


def test_htmx_rating_returns_the_next_card_section(learner_client):
    """With htmx the response is just the review section, with the next card."""
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    response = learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": 4},
                                   HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="review"')
    assert _counts(html) == (0, 19)
    assert "Undo last review" in html


@pytest.mark.parametrize("rating", ["0", "5", "good", ""])
def test_a_bad_rating_from_the_page_is_a_400_and_changes_nothing(learner_client, rating):
    """Ratings other than 1-4 are refused with a message."""
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    response = learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": rating},
                                   HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Choose Again, Hard, Good or Easy" in response.content.decode()
    assert not Review.objects.exists()


def test_rating_someone_elses_personal_card_is_a_404(learner_client, other_learner):
    """Personal cards are private."""
    theirs = add_personal_card(other_learner, "Private?", "Yes", [])
    response = learner_client.post(reverse("cards-rate"), {"card": theirs.card_id, "version": 0, "rating": 3})
    assert response.status_code == 404


def test_undo_from_the_page_brings_the_card_back_as_new(learner_client, learner):
    """Undo after the first review of a card makes it new again and shows it first."""
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": 1})
    response = learner_client.post(reverse("cards-undo"), follow=True)
    html = response.content.decode()
    assert "Review undone." in html
    assert _current(html) == (card_id, 0)
    assert _counts(html) == (0, 20)
    assert not CardState.objects.filter(user=learner).exists()


def test_empty_queue_says_when_the_next_card_is_due(learner_client, learner):
    """With the day's new cards used up, the page says when the next card comes due."""
    CardPreferences.objects.create(user=learner, new_per_day=1)
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    response = learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": 3},
                                   follow=True)
    html = response.content.decode()
    assert _counts(html) == (0, 0)
    assert "The next card is due in 10 minutes" in html
    assert "studied today's 1 new card" in html


def test_filtering_by_topic_deck_shows_only_that_topic(learner_client):
    """A topic deck reviews only that topic's questions."""
    question = Question.objects.get(slug="what-is-p99")
    deck = f"topic:{question.topic.slug}"
    html = learner_client.get(reverse("cards-review"), {"deck": deck}).content.decode()
    card_id, _ = _current(html)
    assert Question.objects.get(slug=card_id.removeprefix("q-")).topic == question.topic
    assert f'name="deck" value="{deck}"' in html


def test_calculated_cards_show_the_learners_own_variant_and_answer(learner_client, learner):
    """A calculated question's card uses the learner's seeded variables on both faces."""
    question = next(q for q in Question.objects.live().filter(type="calculated") if not q.uses_run_variables)
    variables = question.variables_for(f"user-{learner.pk}")
    html = learner_client.get(reverse("cards-review"), {"card": f"q-{question.slug}"}).content.decode()
    assert _current(html)[0] == f"q-{question.slug}"
    expected = question.grade("0", variables).expected
    assert "Answer:</strong> " + expected.replace("&", "&amp;") in html
    assert "{{" not in html.split('class="flashcard-front"')[1].split("</div>")[0]


def test_rubric_cards_show_the_model_answer_on_the_back(learner_client):
    """The back of a free-text question holds its model answer and explanation."""
    html = learner_client.get(reverse("cards-review"), {"card": "q-what-is-p99"}).content.decode()
    assert _current(html)[0] == "q-what-is-p99"
    assert "Model answer" in html
    assert "Explanation" in html


def test_stats_page_draws_heatmap_forecast_and_states(learner_client, learner):
    """Stats render with the chart data and a heatmap cell for today."""
    card_id, version = _current(learner_client.get(reverse("cards-review")).content.decode())
    learner_client.post(reverse("cards-rate"), {"card": card_id, "version": version, "rating": 3})
    html = learner_client.get(reverse("cards-stats")).content.decode()
    assert 'id="cards-stats-data"' in html
    assert 'id="forecast-chart"' in html
    assert 'data-count="1"' in html
    assert "chart.umd.min.js" in html


def test_settings_page_saves_retention_limit_and_time_zone(learner_client, learner):
    """Learners choose their desired retention, new cards per day and time zone."""
    response = learner_client.post(reverse("cards-settings"), {
        "desired_retention": "0.85", "new_per_day": "5", "time_zone": "Australia/Sydney"})
    assert response.status_code == 302
    prefs = CardPreferences.objects.get(user=learner)
    assert (prefs.desired_retention, prefs.new_per_day, prefs.time_zone) == (0.85, 5, "Australia/Sydney")
    html = learner_client.get(reverse("cards-review")).content.decode()
    assert _counts(html) == (0, 5)


def test_settings_refuse_a_retention_out_of_range_and_an_unknown_zone(learner_client, learner):
    """Bad settings are reported on the form, not saved."""
    response = learner_client.post(reverse("cards-settings"), {
        "desired_retention": "1.5", "new_per_day": "5", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert not CardPreferences.objects.filter(user=learner).exists()


def test_decks_page_lists_topics_and_adds_a_personal_card(learner_client, learner):
    """Topics appear as decks; a card added on the page goes to the named deck and is studied first."""
    response = learner_client.post(reverse("cards-personal-add"), {
        "front": "What does **P99** hide?", "back": "Nothing, it *is* the tail.", "tags": "latency p99",
        "deck": "Interview prep"})
    assert response.status_code == 302
    html = learner_client.get(reverse("cards-decks")).content.decode()
    assert "Interview prep" in html
    assert "Export for Anki" in html
    queue = build_queue(learner, __import__("django.utils.timezone").utils.timezone.now())
    assert queue.current.personal.front == "What does **P99** hide?"
    assert queue.current.personal.tag_list == ["latency", "p99"]

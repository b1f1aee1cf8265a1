"""The interviewer's page: follows the candidate, ticks concepts, overrides with a reason, autosaves notes."""

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def interview(make_interview):
    return make_interview(now=timezone.now())


def url(interview, name):
    return reverse(name, args=[interview.pk, interview.interviewer_token])


def test_the_page_shows_question_rubric_model_answer_and_follow_ups(client, interview):
    item = interview.current_item()
    html = client.get(url(interview, "interviews-interviewer")).content.decode()
    assert item.question.title in html
    assert item.question.follow_ups[0] in html
    assert "Model answer" in html
    for concept in item.question.rubric_concepts():
        assert f'value="{concept["id"]}"' in html
    assert 'hx-trigger="every 2s"' in html


def test_the_live_panel_follows_the_candidate(client, learner_client, interview):
    """The polled panel shows the candidate's saved draft, then their move to question 2."""
    learner_client.post(reverse("interviews-save", args=[interview.pk]), {"text": "thinking aloud", "position": 1})
    live = client.get(url(interview, "interviews-interviewer-live") + "?shown=1").content.decode()
    assert "thinking aloud" in live and 'data-current="1"' in live
    learner_client.post(reverse("interviews-next", args=[interview.pk]), {"text": "thinking aloud", "position": 1})
    live = client.get(url(interview, "interviews-interviewer-live") + "?shown=1").content.decode()
    assert 'data-current="2"' in live and "Follow them" in live
    page = client.get(url(interview, "interviews-interviewer")).content.decode()
    assert 'data-shown="2"' in page


def test_ticks_are_saved_and_unknown_concepts_refused(client, interview):
    item = interview.current_item()
    concept = item.question.rubric_concepts()[0]["id"]
    response = client.post(url(interview, "interviews-interviewer-ticks"),
                           {"position": 1, "concept": [concept]}, **HTMX)
    assert response.status_code == 200 and "data-final-score" in response.content.decode()
    item.refresh_from_db()
    assert item.ticked == [concept]
    response = client.post(url(interview, "interviews-interviewer-ticks"), {"position": 1, "concept": ["nope"]})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.ticked == [concept]
    client.post(url(interview, "interviews-interviewer-ticks"), {"position": 1})  # untick all
    item.refresh_from_db()
    assert item.ticked == []


def test_an_override_needs_a_reason(client, interview):
    response = client.post(url(interview, "interviews-interviewer-override"), {"position": 1, "score": 90}, **HTMX)
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert interview.items.get(position=0).override_score is None

    response = client.post(url(interview, "interviews-interviewer-override"),
                           {"position": 1, "score": 90, "reason": "Strong verbal answer"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="true"' in html and "90%" in html
    item = interview.items.get(position=0)
    assert item.override_score == pytest.approx(0.9) and item.override_reason == "Strong verbal answer"

    client.post(url(interview, "interviews-interviewer-override"), {"position": 1, "clear": "1"})
    item.refresh_from_db()
    assert item.override_score is None and item.override_reason == ""


@pytest.mark.parametrize("score", ["-1", "101", "abc", "1e9"])
def test_an_override_outside_0_to_100_is_refused(client, interview, score):
    response = client.post(url(interview, "interviews-interviewer-override"),
                           {"position": 1, "score": score, "reason": "why not"})
    assert response.status_code == 400
    assert interview.items.get(position=0).override_score is None


def test_notes_autosave_is_idempotent_and_answers_the_time(client, interview):
    data = {"position": 1, "notes": "Good structure; forgot the tail."}
    first = client.post(url(interview, "interviews-interviewer-notes"), data, HTTP_ACCEPT="application/json").json()
    second = client.post(url(interview, "interviews-interviewer-notes"), data, HTTP_ACCEPT="application/json").json()
    assert first["changed"] is True and second["changed"] is False
    assert first["saved_at"] == second["saved_at"]
    assert interview.items.get(position=0).notes == data["notes"]


def test_marks_for_a_question_not_yet_asked_are_404(client, interview):
    """Question 2 has not started: nothing to mark yet."""
    response = client.post(url(interview, "interviews-interviewer-notes"), {"position": 2, "notes": "early"})
    assert response.status_code == 404
    assert client.get(url(interview, "interviews-interviewer") + "?q=2").status_code == 404


def test_the_interviewer_can_look_back_at_an_earlier_question(client, learner_client, interview):
    learner_client.post(reverse("interviews-next", args=[interview.pk]), {"text": "one", "position": 1})
    first = interview.items.get(position=0)
    html = client.get(url(interview, "interviews-interviewer") + "?q=1").content.decode()
    assert first.question.title in html and 'data-following="0"' in html


def test_after_the_end_the_page_links_to_the_scorecard_and_stops_polling(client, learner_client, interview):
    learner_client.post(reverse("interviews-finish", args=[interview.pk]), {"text": "done", "position": 1})
    html = client.get(url(interview, "interviews-interviewer")).content.decode()
    assert url(interview, "interviews-interviewer-scorecard") in html
    assert "every 2s" not in html


def test_the_automatic_score_follows_the_candidates_latest_save(client, learner_client, interview):
    """The polled panel carries the current question's scores out of band: after the candidate saves a
    graded answer the interviewer's "Automatic" is that grade, not the 0% the page was loaded with."""
    page = client.get(url(interview, "interviews-interviewer")).content.decode()
    assert '<dd data-auto-score>0%</dd>' in page
    item = interview.current_item()
    text = {"hand-measure": "A percentile of latency: tail latency hurts many users.",
            "hand-diagnose": "Check cpu usage, then a flame graph, then cache the slow calls."}[item.question.slug]
    learner_client.post(reverse("interviews-save", args=[interview.pk]), {"text": text, "position": 1})
    live = client.get(url(interview, "interviews-interviewer-live") + "?shown=1").content.decode()
    item.refresh_from_db()
    auto = item.score().auto
    assert auto > 0
    marks = live[live.index('<div id="marks" hx-swap-oob="innerHTML">'):]
    assert f"<dd data-auto-score>{round(auto * 100)}%</dd>" in marks

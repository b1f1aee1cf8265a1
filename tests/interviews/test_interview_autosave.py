"""Autosave and resume: the save endpoint is idempotent, answers the saved-at time, and a reload resumes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizsite.interviews.models import Interview, Status

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def interview(make_interview):
    return make_interview(now=timezone.now())


def save(client, interview, text, position=1):
    return client.post(reverse("interviews-save", args=[interview.pk]), {"text": text, "position": position}, **JSON)


def test_autosave_returns_the_saved_at_time(learner_client, interview):
    """The first save stores the text and answers when it was saved, as ISO and as a clock time."""
    response = save(learner_client, interview, "It is a percentile")
    assert response.status_code == 200
    data = response.json()
    item = interview.items.get(position=0)
    assert item.answer == "It is a percentile"
    assert data["saved_at"] == item.saved_at.isoformat()
    assert data["saved_at_display"] == timezone.localtime(item.saved_at).strftime("%H:%M:%S")
    assert data["changed"] is True and data["is_late"] is False and data["position"] == 1


def test_saving_the_same_text_again_changes_nothing(learner_client, interview):
    """Idempotent: the same text twice keeps the first saved-at time."""
    first = save(learner_client, interview, "same words").json()
    second = save(learner_client, interview, "same words").json()
    assert second["changed"] is False
    assert second["saved_at"] == first["saved_at"]


def test_a_reload_resumes_the_question_and_the_saved_text(learner_client, interview):
    """Leave and come back: the page shows the current question with the text saved so far."""
    save(learner_client, interview, "draft that survived")
    page = learner_client.get(reverse("interviews-detail", args=[interview.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "draft that survived</textarea>" in html
    assert 'data-position="1"' in html and "Question 1 of 2" in html


def test_next_saves_the_text_and_a_reload_resumes_at_the_next_question(learner_client, interview):
    """The Next button posts the answer too; after it, the page resumes on question 2."""
    response = learner_client.post(reverse("interviews-next", args=[interview.pk]),
                                   {"text": "final words for one", "position": 1})
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.current_position == 1
    assert interview.items.get(position=0).answer == "final words for one"
    html = learner_client.get(reverse("interviews-detail", args=[interview.pk])).content.decode()
    assert "Question 2 of 2" in html and 'data-position="2"' in html


def test_a_stale_autosave_for_a_closed_question_is_refused(learner_client, interview):
    """An autosave for question 1 arriving after the move to question 2 does not overwrite anything."""
    learner_client.post(reverse("interviews-next", args=[interview.pk]), {"text": "final", "position": 1})
    response = save(learner_client, interview, "older draft", position=1)
    assert response.status_code == 409
    assert "moved on" in response.json()["error"]
    assert interview.items.get(position=0).answer == "final"
    assert interview.items.get(position=1).answer == ""


def test_saving_without_javascript_redirects_back_with_the_time(learner_client, interview):
    """A plain form post saves and returns to the question with 'Saved hh:mm:ss'."""
    response = learner_client.post(reverse("interviews-save", args=[interview.pk]), {"text": "no js", "position": 1},
                                   follow=True)
    assert response.status_code == 200
    assert "Saved " in response.content.decode()
    assert interview.items.get(position=0).answer == "no js"


def test_saving_into_a_finished_interview_is_refused(learner_client, interview):
    """After the end the answers are fixed: 409 with a message."""
    learner_client.post(reverse("interviews-finish", args=[interview.pk]), {"text": "last words", "position": 1})
    interview.refresh_from_db()
    assert interview.status == Status.FINISHED
    assert interview.items.get(position=0).answer == "last words"
    response = save(learner_client, interview, "after the end")
    assert response.status_code == 409
    assert interview.items.get(position=0).answer == "last words"


def test_an_oversized_answer_is_a_400_not_a_crash(learner_client, interview):
    """20,000 characters at most."""
    response = save(learner_client, interview, "x" * 20_001)
    assert response.status_code == 400
    assert "error" in response.json()


def test_the_candidate_never_sees_the_rubric(learner_client, interview):
    """The question page shows the prompt and follow-ups, never concepts, feedback or the model answer."""
    html = learner_client.get(reverse("interviews-detail", args=[interview.pk])).content.decode()
    item = Interview.objects.get(pk=interview.pk).current_item()
    assert item.question.prompt.strip() in html
    assert item.question.follow_ups[0] in html
    for concept in item.question.rubric_concepts():
        assert concept["label"] not in html
        assert concept["feedback"] not in html
    assert item.question.spec["model_answer"] not in html


def test_after_time_is_up_next_keeps_the_answer_marked_late_and_stays(learner_client, make_interview):
    """25 minutes into a 20-minute session: Next saves the text (late) but no new question starts."""
    interview = make_interview(now=timezone.now() - timedelta(minutes=25))
    page = learner_client.get(reverse("interviews-detail", args=[interview.pk])).content.decode()
    assert "Next question" not in page and "Finish the interview" in page
    response = learner_client.post(reverse("interviews-next", args=[interview.pk]),
                                   {"text": "written after the bell", "position": 1}, follow=True)
    assert "Time is up" in response.content.decode()
    interview.refresh_from_db()
    item = interview.items.get(position=0)
    assert interview.current_position == 0
    assert item.answer == "written after the bell" and item.is_late and item.late_by_seconds >= 15 * 60

"""Starting a session, drawing its questions, and the history with its trend."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse

from quizsite.interviews.models import TRACK_TOPICS, Interview, NoQuestions, Track, pick_questions
from quizsite.interviews.services import finish_interview
from quizsite.questions.models import Question, Topic

pytestmark = pytest.mark.django_db


def test_the_draw_is_seeded_and_never_repeats():
    """Same seed, same questions in the same order; every question at most once."""
    a = pick_questions(Track.GENERAL, [], 10, random.Random("s1"))
    b = pick_questions(Track.GENERAL, [], 10, random.Random("s1"))
    c = pick_questions(Track.GENERAL, [], 10, random.Random("s2"))
    assert [q.pk for q in a] == [q.pk for q in b]
    assert [q.pk for q in a] != [q.pk for q in c]
    assert len({q.pk for q in a}) == 10


@pytest.mark.parametrize("track", [Track.LOAD_LATENCY, Track.ML_SERVING])
def test_tracks_draw_live_rubric_questions_of_their_topics(track):
    drawn = pick_questions(track, [], 50, random.Random(1))
    pool = Question.objects.live().filter(type="rubric", topic__slug__in=TRACK_TOPICS[track])
    assert drawn and len(drawn) == pool.count()
    assert all(q.type == "rubric" and not q.is_retired and q.topic.slug in TRACK_TOPICS[track] for q in drawn)


def test_retired_questions_are_not_drawn(hand_topic):
    Question.objects.filter(slug="hand-measure").update(is_retired=True)
    drawn = pick_questions(Track.CUSTOM, [hand_topic], 5, random.Random(1))
    assert [q.slug for q in drawn] == ["hand-diagnose"]


def test_a_track_without_questions_cannot_start(learner, t0):
    empty = Topic.objects.create(slug="empty-topic", name="Empty")
    with pytest.raises(NoQuestions):
        Interview.start(learner, Track.CUSTOM, 20, 3, t0, topics=[empty])
    assert not Interview.objects.exists()


def test_the_start_page_offers_tracks_lengths_and_modes(learner_client):
    html = learner_client.get(reverse("interviews-list")).content.decode()
    for text in ("Load testing and latency", "Serving ML models at scale", "General scalability", "Chosen topics",
                 "20 minutes", "30 minutes", "45 minutes", "With an interviewer"):
        assert text in html


def test_starting_a_session_opens_its_first_question(learner_client, learner):
    response = learner_client.post(reverse("interviews-start"), {
        "track": "ml-serving", "duration_minutes": "45", "question_count": "4", "with_interviewer": "1"})
    interview = Interview.objects.get(user=learner)
    assert response.status_code == 302 and response["Location"] == interview.get_absolute_url()
    assert (interview.duration_minutes, interview.question_count, interview.with_interviewer) == (45, 4, True)
    html = learner_client.get(response["Location"]).content.decode()
    assert "Question 1 of 4" in html and interview.interviewer_path() in html


def test_chosen_topics_need_a_topic(learner_client, learner):
    response = learner_client.post(reverse("interviews-start"), {
        "track": "custom", "duration_minutes": "20", "question_count": "2"})
    assert response.status_code == 400
    assert "Choose at least one topic" in response.content.decode()
    assert not Interview.objects.filter(user=learner).exists()


def test_asking_for_more_questions_than_exist_asks_them_all(learner_client, learner, hand_topic):
    response = learner_client.post(reverse("interviews-start"), {
        "track": "custom", "topics": [hand_topic.pk], "duration_minutes": "20", "question_count": "8"}, follow=True)
    assert Interview.objects.get(user=learner).question_count == 2
    assert "has 2 questions" in response.content.decode()


def test_history_lists_sessions_with_a_trend(learner_client, make_interview, t0):
    """Finished sessions show their score and feed the trend; an unfinished one can be resumed."""
    for day, text in enumerate(["a latency percentile; cpu usage", "latency percentile, tail latency, many users, cpu usage"]):
        interview = make_interview(seed=f"s{day}", now=t0 + timedelta(days=day))
        interview.save_answer(text, t0 + timedelta(days=day, minutes=1))
        finish_interview(interview, t0 + timedelta(days=day, minutes=2))
    open_one = make_interview(seed="open", now=t0 + timedelta(days=5))
    html = learner_client.get(reverse("interviews-list")).content.decode()
    assert "trend-chart-data" in html
    assert reverse("interviews-detail", args=[open_one.pk]) in html and "Resume" in html
    scores = [round(i.score * 100) for i in Interview.objects.filter(score__isnull=False).order_by("finished_at")]
    assert f'"scores": {scores}'.replace("'", "") in html

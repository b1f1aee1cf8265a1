"""Flagging the grade of an interview answer: on the candidate's scorecard, once the interview has ended."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from quizsite.interviews.services import finish_interview
from quizsite.questions.models import GradeFlag

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


def answered_interview(make_interview, t0):
    interview = make_interview()
    interview.save_answer("It is a percentile of latency, and many users see it.", t0 + MIN)
    return interview, interview.current_item()


def test_an_interview_grade_is_flagged_from_the_scorecard(make_interview, t0, learner_client):
    """The flag keeps the grader's own result for the answer, not the interviewer's marks."""
    interview, item = answered_interview(make_interview, t0)
    item.set_override(1.0, "It was fine")
    finish_interview(interview, t0 + 2 * MIN)
    page = learner_client.get(f"/interviews/{interview.pk}/scorecard").content.decode()
    assert f'value="{item.flag_ref}"' in page and "I think this grade is wrong" in page
    assert learner_client.post("/grades/flag", {"ref": item.flag_ref, "comment": "P99 is right"},
                               HTTP_HX_REQUEST="true").status_code == 200
    saved = GradeFlag.objects.get()
    assert saved.source == "interview" and saved.question.slug == item.question.slug
    assert saved.answer_text == item.answer and saved.grade == item.grade and saved.score == item.grade["score"]


def test_an_interview_in_progress_cannot_be_flagged(make_interview, t0, learner_client):
    """Grades are shown on the scorecard; before it exists there is nothing the candidate has seen to flag."""
    _, item = answered_interview(make_interview, t0)
    assert learner_client.post("/grades/flag", {"ref": item.flag_ref}).status_code == 409
    assert not GradeFlag.objects.exists()


def test_the_interviewer_sees_no_flag_control_and_others_cannot_flag(make_interview, t0, client, other_learner):
    interview, item = answered_interview(make_interview, t0)
    finish_interview(interview, t0 + 2 * MIN)
    page = client.get(f"/interviews/{interview.pk}/i/{interview.interviewer_token}/scorecard").content.decode()
    assert "I think this grade is wrong" not in page
    assert client.post("/grades/flag", {"ref": item.flag_ref}).status_code == 404
    client.force_login(other_learner)
    assert client.post("/grades/flag", {"ref": item.flag_ref}).status_code == 404
    assert not GradeFlag.objects.exists()


def test_the_scorecard_api_gives_references_to_flag(make_interview, t0, api_client, learner):
    interview, item = answered_interview(make_interview, t0)
    finish_interview(interview, t0 + 2 * MIN)
    api_client.force_authenticate(learner)
    rows = api_client.get(f"/api/v1/interviews/{interview.pk}/scorecard").json()["questions"]
    assert rows[0]["answer_ref"] == item.flag_ref
    assert [row["answer_ref"] for row in rows[1:]] == [None] * (len(rows) - 1)
    response = api_client.post("/api/v1/grade-flags", {"answer_ref": item.flag_ref}, format="json")
    assert response.status_code == 201 and response.json()["source"] == "interview"

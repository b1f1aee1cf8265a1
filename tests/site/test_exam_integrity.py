"""An exam in progress cannot be beaten from the side: its questions are not graded (no expected answer, no
explanation) by the grade API or the practice form, and their flashcards stay out of the review queue and the
export, until the exam ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quizsite.cards.models import CardPreferences
from quizsite.quizzes.models import Attempt, Quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(learner):
    quiz = Quiz.objects.curated().first()
    return Attempt.start(quiz, "exam", learner, "", timezone.now())


def _fixed_question(attempt):
    return next(q for q in attempt.quiz.ordered_questions() if not q.needs_run)


def test_the_grade_api_refuses_an_exam_question_while_the_exam_runs(api_client, learner, exam):
    """409 with no "expected" or explanation; after the exam finishes the same call grades it."""
    question = _fixed_question(exam)
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/v1/questions/{question.slug}/grade", {"answer": "x"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert "exam in progress" in body["error"] and "expected" not in body and "explanation" not in body
    exam.finish(timezone.now())
    response = api_client.post(f"/api/v1/questions/{question.slug}/grade", {"answer": "x"}, format="json")
    assert response.status_code == 200 and "expected" in response.json()


def test_the_practice_form_refuses_an_exam_question_while_the_exam_runs(learner_client, exam):
    """The question page's answer form says to answer in the exam, and grades nothing."""
    question = _fixed_question(exam)
    response = learner_client.post(f"/questions/{question.slug}/answer", {"answer": "x"})
    assert response.status_code == 409
    assert "exam in progress" in response.content.decode()
    assert not question.answers.exists()


def test_an_exam_past_its_deadline_no_longer_hides_answers(api_client, learner):
    """Once time is up the exam is over: grading reveals again."""
    quiz = Quiz.objects.curated().first()
    attempt = Attempt.start(quiz, "exam", learner, "", timezone.now() - timedelta(hours=2), time_limit_s=60)
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/v1/questions/{_fixed_question(attempt).slug}/grade", {"answer": "x"},
                               format="json")
    assert response.status_code == 200


def test_another_learners_exam_does_not_hide_anything_from_me(api_client, other_learner, exam):
    """Only the examinee's own grading is held back."""
    api_client.force_authenticate(other_learner)
    response = api_client.post(f"/api/v1/questions/{_fixed_question(exam).slug}/grade", {"answer": "x"},
                               format="json")
    assert response.status_code == 200


def test_practice_attempts_hide_nothing(api_client, learner):
    """A practice attempt gives feedback at once anyway: nothing to hide."""
    quiz = Quiz.objects.curated().first()
    attempt = Attempt.start(quiz, "practice", learner, "", timezone.now())
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/v1/questions/{_fixed_question(attempt).slug}/grade", {"answer": "x"},
                               format="json")
    assert response.status_code == 200


def test_exam_questions_leave_the_flashcard_queue_and_export_until_the_exam_ends(api_client, learner_client,
                                                                                learner, exam):
    """The card of an exam question (whose back is the answer) is neither due nor exported while it runs."""
    question = _fixed_question(exam)
    in_exam = {q.pk for q in exam.quiz.ordered_questions()}
    topic = f"topic:{question.topic.slug}"
    CardPreferences.objects.update_or_create(user=learner, defaults={"new_per_day": 9999})
    api_client.force_authenticate(learner)

    def card_ids():
        cards = api_client.get("/api/v1/cards/due", {"deck": topic, "limit": 100}).json()["cards"]
        return {c["id"] for c in cards}

    def exported_rows():
        body = learner_client.get("/cards/decks/export", {"deck": topic}).content.decode()
        return len([line for line in body.splitlines() if not line.startswith("#")])

    during, rows_during = card_ids(), exported_rows()
    assert f"q-{question.slug}" not in during
    exam.finish(timezone.now())
    after, rows_after = card_ids(), exported_rows()
    assert f"q-{question.slug}" in after
    hidden_in_topic = len({c for c in after - during})
    assert hidden_in_topic >= 1 and rows_after - rows_during == hidden_in_topic
    assert all(q.pk in in_exam for q in exam.quiz.ordered_questions() if f"q-{q.slug}" in after - during)


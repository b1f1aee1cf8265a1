"""Every question's every text, in every place a learner or interviewer sees it, renders: no template text
(`{{`, `{%`) and no Markdown shown literally (a backtick) on the question page, in its answer feedback, on
its flashcard, in a quiz's results and on the interviewer's checklist; calculated explanations carry the
learner's own numbers."""

import html
import re
import secrets
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizsite.cards.services import find_card, question_is_card
from quizsite.interviews.models import Interview, InterviewQuestion, Track
from quizsite.questions.models import Question
from quizsite.quizzes.models import Attempt, Mode, Quiz

pytestmark = pytest.mark.django_db

RAW = re.compile(r"\{\{|\{%|`")
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def visible_text(markup: str) -> str:
    return html.unescape(TAGS.sub(" ", markup))


def raw_bits(markup: str) -> list[str]:
    text = visible_text(markup)
    return [text[max(0, m.start() - 40):m.end() + 40].strip() for m in RAW.finditer(text)]


def main_of(page: str) -> str:
    start = page.find("<main")
    return page[start:page.find("</main>", start)] if start >= 0 else page


def a_response(question: Question) -> dict:
    """An answer that brings out the feedback: every choice ticked, a number, or the model answer."""
    if question.is_choice:
        ids = [c["id"] for c in question.public_choices()]
        return {"answer": ids if question.type == Question.Type.MULTIPLE else ids[:1]}
    if question.is_free_text:
        return {"answer": question.spec.get("model_answer", "") or "I would measure it."}
    return {"answer": "1"}


@pytest.fixture
def bank():
    return list(Question.objects.bank().select_related("topic").order_by("slug"))


def test_question_pages_and_feedback_show_no_template_text_or_backticks(client, bank):
    """Each question's page and the feedback after answering it render prompt, choices, concept labels,
    feedback lines, the expected answer and the explanation without raw template text or Markdown."""
    problems = []
    for question in bank:
        page = client.get(question.get_absolute_url())
        problems += [f"{question.slug} page: {bit!r}" for bit in raw_bits(main_of(page.content.decode()))]
        feedback = client.post(reverse("questions-answer", args=[question.slug]), a_response(question),
                               HTTP_HX_REQUEST="true")
        assert feedback.status_code in (200, 400), question.slug
        problems += [f"{question.slug} feedback: {bit!r}" for bit in raw_bits(feedback.content.decode())]
    assert not problems, f"{len(problems)} raw bits:\n" + "\n".join(problems)


def test_flashcards_show_no_template_text_or_backticks(learner, bank):
    """Both faces of every question's flashcard render their Markdown and the learner's variant numbers."""
    problems = []
    for question in bank:
        if not question_is_card(question):
            continue
        card = find_card(learner, f"q-{question.slug}")
        for face, markup in (("front", card.front_html()), ("back", card.back_html())):
            problems += [f"{question.slug} card {face}: {bit!r}" for bit in raw_bits(markup)]
    assert not problems, f"{len(problems)} raw bits:\n" + "\n".join(problems)


def test_quiz_results_show_no_template_text_or_backticks(learner_client, learner):
    """A finished attempt of every quiz lists each question with its explanation, rendered."""
    problems = []
    now = timezone.now()
    for quiz in Quiz.objects.curated():
        attempt = Attempt.start(quiz, Mode.PRACTICE, learner, "", now - timedelta(minutes=1))
        attempt.finish(now)
        page = learner_client.get(reverse("quizzes-attempt", args=[attempt.pk]))
        assert page.status_code == 200
        problems += [f"{quiz.slug} results: {bit!r}" for bit in raw_bits(main_of(page.content.decode()))]
    assert not problems, f"{len(problems)} raw bits:\n" + "\n".join(problems)


def test_the_interviewers_checklist_shows_no_template_text_or_backticks(client, learner, bank):
    """The interviewer's view of every free-text question (prompt, follow-ups, model answer, concept labels
    and their feedback) renders its Markdown."""
    now = timezone.now()
    rubric = [q for q in bank if q.is_free_text]
    interview = Interview.objects.create(
        user=learner, track=Track.GENERAL, duration_minutes=180, question_count=len(rubric), with_interviewer=True,
        interviewer_token=secrets.token_urlsafe(32), seed="render", started_at=now,
        deadline=now + timedelta(minutes=180), current_position=len(rubric) - 1,
    )
    InterviewQuestion.objects.bulk_create(
        InterviewQuestion(interview=interview, question=q, position=i, started_at=now) for i, q in enumerate(rubric)
    )
    problems = []
    for number, question in enumerate(rubric, start=1):
        page = client.get(interview.interviewer_path() + f"?q={number}")
        assert page.status_code == 200
        assert question.title in html.unescape(page.content.decode())
        problems += [f"{question.slug} interviewer: {bit!r}" for bit in raw_bits(main_of(page.content.decode()))]
    assert not problems, f"{len(problems)} raw bits:\n" + "\n".join(problems)


def test_a_calculated_explanation_uses_the_learners_own_numbers(client):
    """After answering a calculated question, "Why" shows the numbers of the variant the learner was given."""
    question = next(q for q in Question.objects.bank().filter(type=Question.Type.CALCULATED)
                    if "{{" in q.explanation)
    page = client.get(question.get_absolute_url())
    seed = f"session-{client.session.session_key}"
    variables = question.variables_for(seed)
    feedback = client.post(reverse("questions-answer", args=[question.slug]), {"answer": "1"},
                           HTTP_HX_REQUEST="true").content.decode()
    assert page.status_code == 200
    assert question.explanation_html(variables) in feedback
    assert "{{" not in visible_text(feedback)

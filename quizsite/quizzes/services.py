"""Grading an answer and recording it: the one path used by pages and the API."""

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from quizsite.questions.flags import FlagTarget, response_text
from quizsite.lib.idempotency import clean_idempotency_key
from quizsite.questions.grading import Grade
from quizsite.questions.models import Question
from quizsite.questions.signals import answer_graded
from quizsite.quizzes.models import Answer, Attempt, Mode, Quiz, QuizItem
from quizsite.quizzes.signals import remember_anonymous_session

MAX_BUILT_QUESTIONS = 50


@dataclass(frozen=True)
class Learner:
    """Who is answering: a signed-in user, or an anonymous session."""

    user: Any
    session_key: str

    @property
    def seed(self) -> str:
        if self.user.is_authenticated:
            return f"user-{self.user.pk}"
        return f"session-{self.session_key}"


def open_exam_question_ids(user, session_key: str, now: datetime) -> set[int]:
    """The questions of this learner's exam attempts still in progress (not finished, not past their
    deadline): their answers stay hidden until the exam ends."""
    attempts = Attempt.objects.filter(mode=Mode.EXAM, finished_at__isnull=True).filter(
        Q(deadline__isnull=True) | Q(deadline__gt=now))
    if user is not None and user.is_authenticated:
        attempts = attempts.filter(user=user)
    elif session_key:
        attempts = attempts.filter(user=None, session_key=session_key)
    else:
        return set()
    return set(QuizItem.objects.filter(quiz__attempts__in=attempts).values_list("question_id", flat=True))


def learner_for(request) -> Learner:
    if not request.user.is_authenticated:
        if not request.session.session_key:
            request.session.save()
        remember_anonymous_session(request)
    return Learner(request.user, request.session.session_key or "")


def submit_answer(
    question: Question,
    response: Any,
    learner: Learner,
    now: datetime,
    attempt: Attempt | None = None,
    source: str = "question",
    idempotency_key: str = "",
) -> tuple[Grade, Answer | None]:
    """Grade a response and store it. Invalid input is not stored and costs no attempt.

    With an idempotency key (the page sends one per submission and the same one when it retries after a
    503 or a lost connection), an answer already stored under that key is returned instead of a second one.
    """
    key = clean_idempotency_key(idempotency_key)
    if key:
        stored = stored_answer(question, learner, attempt, key)
        if stored is not None:
            return stored.get_grade(), stored
    variables = question.variables_for(attempt.seed_for_variants() if attempt else learner.seed)
    result = question.grade(response, variables or None)
    if not result.counts_as_attempt:
        return result, None
    fields = dict(
        question=question,
        attempt=attempt,
        user=learner.user if learner.user.is_authenticated else None,
        session_key="" if learner.user.is_authenticated else learner.session_key,
        response=jsonable_response(response),
        variables=variables,
        score=result.score,
        verdict=str(result.verdict),
        grade=result.to_dict(),
        is_late=False,
        source=source,
        created_at=now,
    )
    try:
        with transaction.atomic():
            answer = Answer.objects.create(**fields, idempotency_key=key)
    except IntegrityError:
        stored = stored_answer(question, learner, attempt, key) if key else None
        if stored is not None:  # the same submission, arrived twice at once: the other one stored it
            return stored.get_grade(), stored
        answer = Answer.objects.create(**fields)  # a key someone else used: keep the answer, drop the key
    if learner.user.is_authenticated:
        answer_graded.send(sender=Question, user=learner.user, question=question, grade=result, source=source)
    return result, answer


def stored_answer(question: Question, learner: Learner, attempt: Attempt | None, key: str) -> Answer | None:
    """This learner's answer already stored under this key, if any."""
    answers = Answer.objects.filter(question=question, idempotency_key=key, attempt=attempt)
    if learner.user.is_authenticated:
        return answers.filter(user=learner.user).first()
    return answers.filter(user=None, session_key=learner.session_key).exclude(session_key="").first()


def jsonable_response(response: Any) -> Any:
    """A learner's response in a form a JSONField stores (lists of ids stay lists, anything else text)."""
    if isinstance(response, (str, int, float, bool)) or response is None:
        return response
    if isinstance(response, (list, tuple)):
        return [str(item) for item in response]
    return str(response)


def flag_target(pk: int, user, session_key: str) -> FlagTarget | None:
    """The learner's own graded answer, for questions.flags (registered as kind "answer")."""
    answer = Answer.objects.select_related("question", "attempt").filter(pk=pk).first()
    if answer is None or not answer.belongs_to(user, session_key):
        return None
    return FlagTarget(question=answer.question, answer_text=response_text(answer.response), grade=answer.grade,
                      source=answer.source, shown=answer.grade_is_shown)


class QuizFull(Exception):
    """Practice allows retries; an exam takes one answer per question until it ends."""


def answer_in_attempt(attempt: Attempt, question: Question, response: Any, learner: Learner,
                      now: datetime, idempotency_key: str = "") -> tuple[Grade, Answer | None]:
    if attempt.is_exam:
        with transaction.atomic():
            result, answer = submit_answer(question, response, learner, now, attempt, source="quiz",
                                           idempotency_key=idempotency_key)
            if answer is not None:
                attempt.answers.filter(question=question).exclude(pk=answer.pk).delete()
        return result, answer
    return submit_answer(question, response, learner, now, attempt, source="quiz", idempotency_key=idempotency_key)


def build_quiz(topics: list, difficulty: int | None, count: int, owner, rng: random.Random) -> Quiz:
    """A quiz of `count` random live questions from the chosen topics (all topics when none)."""
    questions = Question.objects.bank()
    if topics:
        questions = questions.filter(topic__in=topics)
    if difficulty:
        questions = questions.filter(difficulty=difficulty)
    pool = list(questions.only("pk"))
    chosen = rng.sample(pool, min(count, len(pool), MAX_BUILT_QUESTIONS))
    names = ", ".join(t.name for t in topics) if topics else "all topics"
    quiz = Quiz.objects.create(
        slug=Quiz.new_slug(),
        title=f"{len(chosen)} questions: {names}",
        owner=owner if owner.is_authenticated else None,
        default_mode=Mode.PRACTICE,
    )
    QuizItem.objects.bulk_create(QuizItem(quiz=quiz, question=q, position=i) for i, q in enumerate(chosen))
    return quiz

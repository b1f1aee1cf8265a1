"""Flagging a grade: "I think this grade is wrong" on any graded answer, from any page or the API.

Graded answers live in the apps above this one (quizzes.Answer, interviews.InterviewQuestion, labs.LabAnswer),
which this app must not import. Each of them registers a *kind* here in its AppConfig.ready() with a
resolver: given a record's id and who asks, it returns what was graded (a FlagTarget) or None when there is
no such answer for that learner. A flag names an answer by reference, "<kind>:<id>" (for example
"answer:12"), and the answer text and grade it stores are read from that record on the server: a client
cannot make up the grade it complains about.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from quizsite.questions.models import GradeFlag, Question

MAX_COMMENT_CHARS = 1000
MAX_REF_ID_DIGITS = 18


@dataclass(frozen=True)
class FlagTarget:
    """One graded answer as the server recorded it, and whether its grade has been shown to the learner."""

    question: Question
    answer_text: str
    grade: dict
    source: str
    shown: bool = True


# A resolver: (record id, user, session key) -> the learner's graded answer, or None.
Resolver = Callable[[int, Any, str], FlagTarget | None]

_resolvers: dict[str, Resolver] = {}


def register_kind(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def answer_ref(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


class FlagError(Exception):
    """A flag that cannot be made; `status` is the HTTP status the page and the API answer with."""

    status = 400


class NoSuchAnswer(FlagError):
    status = 404


class GradeNotShown(FlagError):
    status = 409


class AlreadyFlagged(FlagError):
    status = 409

    def __init__(self, flag: GradeFlag):
        self.flag = flag
        super().__init__("You have already flagged this grade. Thank you: an author will look at it.")


class TooManyFlags(FlagError):
    status = 429


def parse_ref(ref: str) -> tuple[str, int]:
    """("answer", 12) from "answer:12"; NoSuchAnswer for anything else (unknown kind, not a plain id)."""
    kind, _, raw = str(ref).partition(":")
    if kind not in _resolvers or not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_REF_ID_DIGITS:
        raise NoSuchAnswer("No graded answer of yours has that reference.")
    return kind, int(raw)


def resolve(ref: str, user, session_key: str) -> tuple[str, int, FlagTarget]:
    kind, pk = parse_ref(ref)
    target = _resolvers[kind](pk, user, session_key or "")
    if target is None:
        raise NoSuchAnswer("No graded answer of yours has that reference.")
    return kind, pk, target


def existing_flag(ref: str) -> GradeFlag | None:
    """The flag already made on this answer, if any (whoever may see it is checked by the caller)."""
    try:
        kind, pk = parse_ref(ref)
    except NoSuchAnswer:
        return None
    return GradeFlag.objects.filter(answer_kind=kind, answer_id=pk).first()


def flags_per_day() -> int:
    return settings.GRADE_FLAGS_PER_DAY


def flag_grade(ref: str, user, session_key: str, comment: str, now: datetime) -> GradeFlag:
    """Record a flag on the learner's own graded answer, with a copy of the answer and the grade as graded.

    One flag per answer (AlreadyFlagged), at most GRADE_FLAGS_PER_DAY per learner in 24 hours (TooManyFlags),
    only on a grade the learner has been shown (GradeNotShown), only on the learner's own answers (NoSuchAnswer).
    """
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise FlagError(f"Keep the comment under {MAX_COMMENT_CHARS} characters (it has {len(comment)}).")
    signed_in = bool(user is not None and user.is_authenticated)
    if not signed_in and not session_key:
        raise NoSuchAnswer("No graded answer of yours has that reference.")
    kind, pk, target = resolve(ref, user, session_key)
    if not target.shown:
        raise GradeNotShown("This grade has not been shown yet: flag it once you can see it.")
    mine = GradeFlag.objects.filter(user=user) if signed_in else GradeFlag.objects.filter(
        user=None, session_key=session_key)
    try:
        with transaction.atomic():
            earlier = GradeFlag.objects.filter(answer_kind=kind, answer_id=pk).first()
            if earlier is not None:
                raise AlreadyFlagged(earlier)
            if mine.filter(created_at__gt=now - timedelta(days=1)).count() >= flags_per_day():
                raise TooManyFlags(f"You can flag at most {flags_per_day()} grades a day. Thank you for them.")
            grade = target.grade
            return GradeFlag.objects.create(
                question=target.question,
                user=user if signed_in else None,
                session_key="" if signed_in else session_key,
                source=target.source,
                answer_kind=kind,
                answer_id=pk,
                answer_text=target.answer_text,
                grade=grade,
                score=float(grade.get("score", 0.0)),
                verdict=str(grade.get("verdict", "")),
                comment=comment,
                created_at=now,
            )
    except IntegrityError:
        raise AlreadyFlagged(GradeFlag.objects.get(answer_kind=kind, answer_id=pk)) from None


def response_text(response: Any) -> str:
    """A stored response as the text an author reads: choice ids joined, numbers as given."""
    if isinstance(response, (list, tuple)):
        return ", ".join(str(item) for item in response)
    return "" if response is None else str(response)

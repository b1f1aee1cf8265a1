"""The guided path and the signed-in home page, derived from what the learner has already done.

Progress comes from records the study apps keep (a finished quiz attempt, a succeeded lab run, flashcard
reviews, a finished interview); only "lesson read" has its own small record. Each function here runs a
fixed, small number of queries: the home page must stay cheap under a whole class.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q
from django.urls import reverse

from labs.models import Lab, LabRun, RunStatus
from quizsite.cards.models import FLASHCARD_SOURCES, CardState, Review
from quizsite.interviews.models import Interview, Status
from quizsite.journey.models import LessonRead
from quizsite.quizzes.models import Answer, Attempt

FIRST_LESSON = "load-testing-with-locust"
LESSON_QUIZ = "load-testing-lesson"
FIRST_LAB = "first-load-test"
BREAKING_LAB = "breaking-point"
CARDS_GOAL = 10
SESSION_LESSONS = "lessons_read"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    url: str
    done: bool
    needs_account: bool = False


@dataclass(frozen=True)
class Learner:
    """Who the path is for: a user, or an anonymous session (whose lesson reads live in the session)."""

    user: object
    session_key: str
    session_lessons: tuple[str, ...] = ()

    @classmethod
    def from_request(cls, request) -> "Learner":
        return cls(request.user, request.session.session_key or "",
                   tuple(request.session.get(SESSION_LESSONS, [])))

    @property
    def signed_in(self) -> bool:
        return self.user.is_authenticated

    def owns(self) -> Q:
        """Rows of Attempt/Answer that belong to this learner."""
        if self.signed_in:
            return Q(user=self.user)
        return Q(user=None, session_key=self.session_key) if self.session_key else Q(pk__in=[])


def mark_lesson_read(request, slug: str, now: datetime) -> None:
    """Idempotent: a second read changes nothing."""
    if request.user.is_authenticated:
        LessonRead.objects.get_or_create(user=request.user, lesson=slug, defaults={"read_at": now})
        return
    read = request.session.get(SESSION_LESSONS, [])
    if slug not in read:
        request.session[SESSION_LESSONS] = [*read, slug]


def claim_session_lessons(user, session, now: datetime) -> None:
    """Lessons read before signing in count for the account."""
    for slug in session.pop(SESSION_LESSONS, []):
        LessonRead.objects.get_or_create(user=user, lesson=slug, defaults={"read_at": now})


def succeeded_labs(learner: Learner) -> set[str]:
    if not learner.signed_in:
        return set()
    return set(LabRun.objects.filter(user=learner.user, status=RunStatus.SUCCEEDED)
               .values_list("lab__slug", flat=True).distinct())


def path_steps(learner: Learner, labs_done: set[str] | None = None) -> list[Step]:
    """The six steps from the lesson to a mock interview, each marked done from the learner's records."""
    if labs_done is None:
        labs_done = succeeded_labs(learner)
    user = learner.user
    if learner.signed_in:
        lesson_read = LessonRead.objects.filter(user=user, lesson=FIRST_LESSON).exists()
        reviews = Review.objects.filter(user=user, source__in=FLASHCARD_SOURCES).count()
        interviewed = Interview.objects.filter(user=user, status=Status.FINISHED).exists()
    else:
        lesson_read, reviews, interviewed = FIRST_LESSON in learner.session_lessons, 0, False
    quiz_done = Attempt.objects.filter(learner.owns(), quiz__slug=LESSON_QUIZ, finished_at__isnull=False).exists()
    return [
        Step("lesson", "Read the lesson: load testing with Locust",
             "RPS, P99, the MLUser locustfile, and CPU against I/O bottlenecks.",
             reverse("journey-lesson", args=[FIRST_LESSON]), lesson_read),
        Step("quiz", "Take the lesson quiz", "Twelve questions in the lesson's order, with feedback at once.",
             reverse("quizzes-detail", args=[LESSON_QUIZ]), quiz_done),
        Step("first-lab", "Run your first load test",
             "Swarm the sample model API with Locust and read RPS and percentiles from your own run.",
             reverse("labs-detail", args=[FIRST_LAB]), FIRST_LAB in labs_done, needs_account=True),
        Step("breaking-lab", "Find the breaking point",
             "Ramp the users until the API gives out, and say where and why.",
             reverse("labs-detail", args=[BREAKING_LAB]), BREAKING_LAB in labs_done, needs_account=True),
        Step("cards", f"Review {CARDS_GOAL} flashcards",
             "Spaced repetition keeps what you learned: a few minutes a day.",
             reverse("cards-review"), reviews >= CARDS_GOAL, needs_account=True),
        Step("interview", "Hold a mock interview", "Timed questions, a scorecard, and an interviewer if you like.",
             reverse("interviews-list"), interviewed, needs_account=True),
    ]


def next_step(steps: list[Step]) -> Step | None:
    return next((step for step in steps if not step.done), None)


def home_summary(learner: Learner, now: datetime) -> dict:
    """What a signed-in learner's home shows: due cards, work to continue, the path, labs, weak topics."""
    user = learner.user
    labs_done = succeeded_labs(learner)
    steps = path_steps(learner, labs_done)
    labs = list(Lab.objects.live().only("slug", "title", "position"))
    attempt = (Attempt.objects.filter(user=user, finished_at=None).select_related("quiz")
               .order_by("-started_at").first())
    if attempt is not None and attempt.is_past_deadline(now):
        attempt = None
    interview = Interview.objects.filter(user=user, status=Status.IN_PROGRESS).order_by("-started_at").first()
    if interview is not None and interview.is_time_up(now):
        interview = None
    due_cards = (CardState.objects.filter(user=user, due__lte=now)
                 .filter(Q(question=None) | Q(question__is_retired=False)).count())
    return {
        "steps": steps,
        "next_step": next_step(steps),
        "steps_done": sum(step.done for step in steps),
        "due_cards": due_cards,
        "attempt": attempt,
        "interview": interview,
        "labs": [{"lab": lab, "done": lab.slug in labs_done} for lab in labs],
        "labs_done": sum(lab.slug in labs_done for lab in labs),
        "next_lab": next((lab for lab in labs if lab.slug not in labs_done), None),
        "weakest": weakest_topics(learner),
    }


def weakest_topics(learner: Learner, limit: int = 3) -> list[dict]:
    """The topics with the lowest average score over the learner's answers (at least two answers each)."""
    rows = (Answer.objects.filter(learner.owns(), question__topic__is_retired=False)
            .values("question__topic__slug", "question__topic__name")
            .annotate(score=Avg("score"), answers=Count("pk")).filter(answers__gte=2)
            .order_by("score", "question__topic__name")[:limit])
    return [{"slug": r["question__topic__slug"], "name": r["question__topic__name"], "score": r["score"],
             "answers": r["answers"]} for r in rows]

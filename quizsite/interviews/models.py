"""Mock interviews: a timed session of open-ended questions, its answers and the interviewer's marks.

Time is always passed in (`now`), so the clocks are exact in tests. The server enforces both clocks:
an answer saved after its question's time (or the session's time) is up is kept and marked late.

In a solo interview (no human interviewer), moving on from an answer that missed a core point (a gate
concept of the rubric) first asks that concept's follow-up question, as an interviewer would, when the
question's clock still has FOLLOW_UP_MIN_S seconds left (settings.INTERVIEW_FOLLOW_UP_MIN_S). The
follow-up shares the question's clock; an answer to it after that clock has run out is refused. It is
graded against that concept alone; scoring.score_with_follow_up says how it counts.
"""

import random
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from quizsite.interviews import scoring
from quizsite.questions.flags import answer_ref
from quizsite.questions.grading import Grade, SpecError, Verdict, grade_concept, rubric
from quizsite.questions.models import Question, Topic

FLAG_KIND = "interview"
FOLLOW_UP_FLAG_KIND = "follow-up"
MAX_ANSWER_CHARS = 20_000
MAX_NOTES_CHARS = 20_000
DURATIONS = (20, 30, 45)
MAX_QUESTIONS = 10
# The grader's verdict bands (content/README.md); used when a final score is sent on as a Grade.
DEFAULT_THRESHOLDS = rubric.DEFAULT_THRESHOLDS


class Track(models.TextChoices):
    LOAD_LATENCY = "load-latency", "Load testing and latency"
    ML_SERVING = "ml-serving", "Serving ML models at scale"
    GENERAL = "general", "General scalability"
    CUSTOM = "custom", "Chosen topics"


# Topic slugs per track; None means every topic.
TRACK_TOPICS: dict[str, list[str] | None] = {
    Track.LOAD_LATENCY: ["load-testing", "latency", "locust", "throughput"],
    Track.ML_SERVING: ["model-serving", "bottlenecks", "scaling", "caching"],
    Track.GENERAL: None,
}


class Status(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    FINISHED = "finished", "Finished"


class InterviewError(Exception):
    """An action the interview's state does not allow (the API answers 409)."""


class NoQuestions(InterviewError):
    pass


class InterviewFinished(InterviewError):
    pass


class TimeUp(InterviewError):
    pass


class LastQuestion(InterviewError):
    pass


class QuestionClosed(InterviewError):
    pass


class NoFollowUp(InterviewError):
    pass


class Interview(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interviews")
    track = models.CharField(max_length=16, choices=Track.choices, default=Track.GENERAL)
    topics = models.ManyToManyField(Topic, blank=True, related_name="+", help_text="For chosen-topics sessions.")
    duration_minutes = models.PositiveSmallIntegerField(choices=[(d, f"{d} minutes") for d in DURATIONS])
    question_count = models.PositiveSmallIntegerField(help_text="Questions asked (may be fewer than requested).")
    with_interviewer = models.BooleanField(default=False)
    interviewer_token = models.CharField(max_length=64, blank=True, editable=False)
    seed = models.CharField(max_length=32, default=secrets.token_hex)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    current_position = models.PositiveSmallIntegerField(default=0, help_text="0-based index of the current question.")
    score = models.FloatField(null=True, blank=True, help_text="Overall final score, for the history.")
    flashcards = models.JSONField(default=list, blank=True, help_text="Cards made from missed concepts at the end.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["user", "-started_at"])]

    def __str__(self) -> str:
        return f"Interview {self.pk} ({self.get_track_display()}, {self.user})"

    def get_absolute_url(self) -> str:
        return reverse("interviews-detail", args=[self.pk])

    @classmethod
    def start(
        cls,
        user,
        track: str,
        duration_minutes: int,
        question_count: int,
        now: datetime,
        topics: list[Topic] | None = None,
        with_interviewer: bool = False,
        seed: str | None = None,
    ) -> "Interview":
        """A new session with its questions drawn (seeded, no repeats) and the first one started."""
        seed = seed or secrets.token_hex(8)
        questions = pick_questions(track, topics or [], question_count, random.Random(seed))
        if not questions:
            raise NoQuestions("No interview questions match that track yet.")
        with transaction.atomic():
            interview = cls.objects.create(
                user=user,
                track=track,
                duration_minutes=duration_minutes,
                question_count=len(questions),
                with_interviewer=with_interviewer,
                interviewer_token=secrets.token_urlsafe(32) if with_interviewer else "",
                seed=seed,
                started_at=now,
                deadline=now + timedelta(minutes=duration_minutes),
            )
            if track == Track.CUSTOM and topics:
                interview.topics.set(topics)
            InterviewQuestion.objects.bulk_create(
                InterviewQuestion(interview=interview, question=q, position=i, started_at=now if i == 0 else None)
                for i, q in enumerate(questions)
            )
        return interview

    @property
    def is_finished(self) -> bool:
        return self.status == Status.FINISHED

    @property
    def per_question_seconds(self) -> int:
        return self.duration_minutes * 60 // max(1, self.question_count)

    def track_label(self) -> str:
        if self.track == Track.CUSTOM:
            names = ", ".join(t.name for t in self.topics.all())
            return f"Chosen topics: {names}" if names else "Chosen topics"
        return self.get_track_display()

    def is_time_up(self, now: datetime) -> bool:
        return now >= self.deadline

    def remaining_seconds(self, now: datetime) -> int:
        return max(0, int((self.deadline - now).total_seconds()))

    def time_used_seconds(self, now: datetime) -> int:
        end = self.finished_at or now
        return max(0, int((end - self.started_at).total_seconds()))

    def ordered_items(self) -> list["InterviewQuestion"]:
        return list(self.items.select_related("question__topic").order_by("position"))

    def current_item(self) -> "InterviewQuestion":
        return self.items.select_related("question__topic").get(position=self.current_position)

    @property
    def is_last_question(self) -> bool:
        return self.current_position >= self.question_count - 1

    def check_token(self, token: str, now: datetime) -> bool:
        """Is this the interviewer's live token? Constant-time; a session without an interviewer (or whose
        link was revoked) has none, and a link stops working INTERVIEWER_LINK_TTL_HOURS after the end."""
        if not self.interviewer_token or not token:
            return False
        if now > self.link_expires_at():
            return False
        return secrets.compare_digest(self.interviewer_token.encode(), token.encode())

    def link_expires_at(self) -> datetime:
        """When the interviewer's link stops working: a set time after the interview ended (finished, or its
        deadline passed)."""
        ended = min(self.finished_at, self.deadline) if self.finished_at else self.deadline
        return ended + timedelta(hours=settings.INTERVIEWER_LINK_TTL_HOURS)

    def regenerate_interviewer_link(self) -> None:
        """A new private link; the old one stops working at once."""
        self.with_interviewer = True
        self.interviewer_token = secrets.token_urlsafe(32)
        self.save(update_fields=["with_interviewer", "interviewer_token"])

    def revoke_interviewer_link(self) -> None:
        """No link works any more (a new one can be made)."""
        self.interviewer_token = ""
        self.save(update_fields=["interviewer_token"])

    def interviewer_path(self) -> str:
        return reverse("interviews-interviewer", args=[self.pk, self.interviewer_token])

    def save_answer(self, text: str, now: datetime,
                    position: int | None = None) -> tuple["InterviewQuestion", bool]:
        """Save the current question's answer: (the question, whether anything changed).

        Idempotent: the same text again changes nothing. Late saves are kept and marked late.

        `position` (0-based) names the question the client was showing; a save for a question the
        interview has moved on from is refused, so a stale autosave never overwrites the final text.
        """
        if self.is_finished:
            raise InterviewFinished("This interview has finished.")
        if position is not None and position != self.current_position:
            raise QuestionClosed("That question is closed: the interview has moved on.")
        item = self.current_item()
        item.interview = self
        if item.get_follow_up() is not None:
            raise QuestionClosed("Your answer was submitted and a follow-up question asked: answer the follow-up.")
        return item, item.save_answer(text, now)

    def save_follow_up(self, text: str, now: datetime,
                       position: int | None = None) -> tuple["FollowUp", bool]:
        """Save the answer to the current question's follow-up: (the follow-up, whether anything changed).

        Idempotent like save_answer; refused once the follow-up's time is up (TimeUp), when the client shows
        another question (QuestionClosed) or when no follow-up was asked (NoFollowUp).
        """
        if self.is_finished:
            raise InterviewFinished("This interview has finished.")
        if position is not None and position != self.current_position:
            raise QuestionClosed("That question is closed: the interview has moved on.")
        item = self.current_item()
        follow_up = item.get_follow_up()
        if follow_up is None:
            raise NoFollowUp("No follow-up question was asked for this question.")
        follow_up.item = item
        return follow_up, follow_up.save_answer(text, now)

    def ask_follow_up(self, now: datetime) -> "FollowUp | None":
        """Ask the current question's follow-up if it is due (see the module docstring); None when it is not.

        Asked once: a question that already has its follow-up gets no other.
        """
        if self.is_finished or self.with_interviewer:
            return None
        item = self.current_item()
        item.interview = self
        concept = item.follow_up_due(now)
        if concept is None:
            return None
        try:
            with transaction.atomic():
                return FollowUp.objects.create(
                    item=item, concept_id=concept["id"], concept_label=concept.get("label", ""),
                    prompt=concept["follow_up"], asked_at=now, deadline=item.deadline,
                )
        except IntegrityError:  # asked by a racing request
            return None

    def advance(self, now: datetime) -> "InterviewQuestion":
        """Close the current question and start the next one; or, when the current answer missed a core point
        and time allows, ask its follow-up first and stay on the question (see ask_follow_up)."""
        if self.is_finished:
            raise InterviewFinished("This interview has finished.")
        if self.ask_follow_up(now) is not None:
            return self.current_item()
        if self.is_time_up(now):
            raise TimeUp("Time is up: finish the interview to see your scorecard.")
        if self.is_last_question:
            raise LastQuestion("This is the last question: finish the interview.")
        with transaction.atomic():
            self.items.filter(position=self.current_position, ended_at=None).update(ended_at=now)
            self.current_position += 1
            self.save(update_fields=["current_position"])
            self.items.filter(position=self.current_position, started_at=None).update(started_at=now)
        return self.current_item()

    def finish(self, now: datetime) -> bool:
        """End the session: close the current question and fix the overall score. False if already over."""
        with transaction.atomic():
            locked = Interview.objects.select_for_update().get(pk=self.pk)
            if locked.is_finished:
                self.status, self.finished_at, self.score = locked.status, locked.finished_at, locked.score
                return False
            self.items.filter(position=self.current_position, ended_at=None).update(ended_at=now)
            self.status = Status.FINISHED
            self.finished_at = now
            self.score = self.overall_score()
            self.save(update_fields=["status", "finished_at", "score"])
        return True

    def asked_items(self) -> list["InterviewQuestion"]:
        return [item for item in self.ordered_items() if item.was_asked]

    def overall_score(self) -> float:
        return scoring.mean(item.score().final for item in self.asked_items()) or 0.0

    def refresh_score(self) -> None:
        """Keep the stored overall score in step with marks the interviewer gives after the end."""
        if self.is_finished:
            self.score = self.overall_score()
            self.save(update_fields=["score"])


class InterviewQuestion(models.Model):
    """One question of a session: the candidate's answer, its grade and the interviewer's marks."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    late_by_seconds = models.PositiveIntegerField(default=0)
    grade = models.JSONField(null=True, blank=True, help_text="The grader's result for the saved answer.")
    ticked = models.JSONField(default=list, blank=True, help_text="Concept ids the interviewer heard.")
    override_score = models.FloatField(null=True, blank=True, help_text="The interviewer's score, 0 to 1.")
    override_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    notes_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["interview", "position"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "position"], name="interview_question_position"),
            models.UniqueConstraint(fields=["interview", "question"], name="interview_question_once"),
        ]

    def __str__(self) -> str:
        return f"Interview {self.interview_id} #{self.number}: {self.question.slug}"

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def was_asked(self) -> bool:
        return self.started_at is not None

    @property
    def deadline(self) -> datetime | None:
        """When this question's share of the time runs out (never later than the session's end)."""
        if self.started_at is None:
            return None
        own = self.started_at + timedelta(seconds=self.interview.per_question_seconds)
        return min(own, self.interview.deadline)

    def remaining_seconds(self, now: datetime) -> int:
        deadline = self.deadline
        return max(0, int((deadline - now).total_seconds())) if deadline else 0

    def time_used_seconds(self, now: datetime) -> int:
        if self.started_at is None:
            return 0
        end = self.ended_at or self.interview.finished_at or now
        return max(0, int((end - self.started_at).total_seconds()))

    def save_answer(self, text: str, now: datetime) -> bool:
        """Store and grade the text. Saving the same text again changes nothing (returns False)."""
        text = text[:MAX_ANSWER_CHARS]
        if self.saved_at is not None and text == self.answer:
            return False
        self.answer = text
        self.saved_at = now
        self.grade = self.question.grade(text).to_dict() if text.strip() else None
        deadline = self.deadline
        if deadline is not None and now > deadline:
            self.is_late = True
            self.late_by_seconds = max(self.late_by_seconds, int((now - deadline).total_seconds()))
        self.save(update_fields=["answer", "saved_at", "grade", "is_late", "late_by_seconds"])
        return True

    # The grader's view of the answer.

    def get_grade(self) -> Grade | None:
        if not self.grade:
            return None
        result = Grade.from_dict(self.grade)
        return result if result.counts_as_attempt else None

    @property
    def is_answered(self) -> bool:
        return self.get_grade() is not None

    @property
    def flag_ref(self) -> str:
        return answer_ref(FLAG_KIND, self.pk)

    def concepts(self) -> list[dict]:
        return self.question.rubric_concepts()

    def found_ids(self) -> set[str]:
        """Concepts the grader heard: in the answer, or in the follow-up that asked for one."""
        result = self.get_grade()
        found = {str(c.get("id")) for c in result.concepts_found} if result else set()
        follow_up = self.get_follow_up()
        if follow_up is not None and follow_up.found:
            found.add(follow_up.concept_id)
        return found

    # The follow-up (solo interviews).

    def get_follow_up(self) -> "FollowUp | None":
        try:
            return self.follow_up
        except FollowUp.DoesNotExist:
            return None

    def follow_up_due(self, now: datetime) -> dict | None:
        """The concept whose follow-up to ask now, or None: the first core point (gate) the graded answer
        missed that has an authored follow-up, when the question's clock has enough time left for it."""
        result = self.get_grade()
        if result is None or self.get_follow_up() is not None or self.deadline is None:
            return None
        if self.remaining_seconds(now) < settings.INTERVIEW_FOLLOW_UP_MIN_S:
            return None
        known = {str(c["id"]): c for c in self.concepts()}
        for missed in result.concepts_missed:
            concept_id = str(missed.get("id"))
            if concept_id not in known or not (missed["gate"] if "gate" in missed else known[concept_id].get("gate")):
                continue
            prompt = (missed.get("follow_up") or known[concept_id].get("follow_up") or "").strip()
            if prompt:
                return {"id": concept_id, "label": missed.get("label") or known[concept_id].get("label", ""),
                        "follow_up": prompt}
            return None  # only the first missed core point is followed up
        return None

    def auto_score(self) -> float:
        """The grader's score for the question: the answer's, lifted or capped by its follow-up."""
        result = self.get_grade()
        if result is None:
            return 0.0
        follow_up = self.get_follow_up()
        if follow_up is None or follow_up.get_grade() is None:
            return result.score
        weights = {str(c["id"]): scoring.concept_weight(c) for c in self.concepts()}
        return scoring.score_with_follow_up(self.grade, follow_up.concept_id,
                                            weights.get(follow_up.concept_id, 1.0), follow_up.grade)

    # The interviewer's marks.

    def set_ticks(self, concept_ids: list[str]) -> None:
        known = [str(c["id"]) for c in self.concepts()]
        wanted = set(concept_ids)
        self.ticked = [cid for cid in known if cid in wanted]
        self.save(update_fields=["ticked"])

    def set_override(self, score: float | None, reason: str) -> None:
        """The interviewer's own score (0-1) with the reason; None clears it."""
        self.override_score = None if score is None else min(1.0, max(0.0, score))
        self.override_reason = reason.strip() if score is not None else ""
        self.save(update_fields=["override_score", "override_reason"])

    def save_notes(self, notes: str, now: datetime) -> bool:
        notes = notes[:MAX_NOTES_CHARS]
        if self.notes_saved_at is not None and notes == self.notes:
            return False
        self.notes, self.notes_saved_at = notes, now
        self.save(update_fields=["notes", "notes_saved_at"])
        return True

    # Scores.

    def score(self) -> scoring.QuestionScore:
        return scoring.score_question(
            auto=self.auto_score(),
            concepts=self.concepts(),
            found=self.found_ids(),
            ticked=self.ticked,
            override=self.override_score,
        )

    def concept_rows(self) -> list[dict]:
        """Every rubric concept with who heard it: the grader, the interviewer, or nobody."""
        found, ticked = self.found_ids(), set(self.ticked)
        follow_up = self.get_follow_up()
        asked = follow_up.concept_id if follow_up is not None else None
        return [
            {**concept, "id": str(concept["id"]), "weight": scoring.concept_weight(concept),
             "found": str(concept["id"]) in found, "ticked": str(concept["id"]) in ticked,
             "missed": str(concept["id"]) not in found and str(concept["id"]) not in ticked,
             "followed_up": str(concept["id"]) == asked,
             "found_in_follow_up": str(concept["id"]) == asked and follow_up.found}
            for concept in self.concepts()
        ]

    def missed_concepts(self) -> list[dict]:
        return [row for row in self.concept_rows() if row["missed"]]

    def final_grade(self) -> Grade | None:
        """The grader's result with the final score and the interviewer's ticks, for the answer_graded seam."""
        result = self.get_grade()
        if result is None:
            return None
        final = self.score().final
        thresholds = {**DEFAULT_THRESHOLDS, **(self.question.spec.get("thresholds") or {})}
        if final >= thresholds["correct"]:
            verdict = Verdict.CORRECT
        elif final >= thresholds["partial"]:
            verdict = Verdict.PARTIAL
        else:
            verdict = Verdict.INCORRECT
        heard = [row for row in self.concept_rows() if row["found"] or row["ticked"]]
        missed = self.missed_concepts()
        return Grade(
            score=final,
            verdict=verdict,
            feedback=list(result.feedback),
            expected=result.expected,
            concepts_found=[{"id": c["id"], "label": c.get("label", ""), "feedback": c.get("feedback", "")}
                            for c in heard],
            concepts_missed=[{"id": c["id"], "label": c.get("label", ""), "feedback": c.get("feedback", "")}
                             for c in missed],
            misconceptions=list(result.misconceptions),
            details={**result.details, "auto_score": self.auto_score(), "first_answer_score": result.score,
                     "override": self.override_score},
        )


class FollowUp(models.Model):
    """The follow-up a solo interview asked after an answer that missed a core point: the rubric's own
    follow-up question for that concept, its answer, and its grade against that concept alone."""

    item = models.OneToOneField(InterviewQuestion, on_delete=models.CASCADE, related_name="follow_up")
    concept_id = models.CharField(max_length=100)
    concept_label = models.CharField(max_length=300, blank=True)
    prompt = models.TextField()
    asked_at = models.DateTimeField()
    deadline = models.DateTimeField(help_text="The question's own deadline: the follow-up shares its clock.")
    answer = models.TextField(blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    grade = models.JSONField(null=True, blank=True, help_text="Graded against the one concept it asks about.")

    class Meta:
        ordering = ["item"]

    def __str__(self) -> str:
        return f"Follow-up on {self.concept_id} ({self.item})"

    @property
    def flag_ref(self) -> str:
        return answer_ref(FOLLOW_UP_FLAG_KIND, self.pk)

    def is_time_up(self, now: datetime) -> bool:
        return now >= self.deadline

    def remaining_seconds(self, now: datetime) -> int:
        return max(0, int((self.deadline - now).total_seconds()))

    def save_answer(self, text: str, now: datetime) -> bool:
        """Store and grade the text against the concept; refused (TimeUp) once the follow-up's time is up."""
        if self.is_time_up(now):
            raise TimeUp("Time is up for this follow-up: that answer was not saved.")
        text = text[:MAX_ANSWER_CHARS]
        if self.saved_at is not None and text == self.answer:
            return False
        self.answer, self.saved_at = text, now
        self.grade = self._grade(text)
        self.save(update_fields=["answer", "saved_at", "grade"])
        return True

    def _grade(self, text: str) -> dict | None:
        if not text.strip():
            return None
        try:
            return grade_concept(self.item.question.spec, self.concept_id, text).to_dict()
        except SpecError:  # the rubric lost the concept since it was asked: nothing to grade against
            return None

    def get_grade(self) -> Grade | None:
        if not self.grade:
            return None
        result = Grade.from_dict(self.grade)
        return result if result.counts_as_attempt else None

    @property
    def found(self) -> bool:
        return scoring.follow_up_found(self.grade if self.get_grade() else None, self.concept_id)


def pick_questions(track: str, topics: list[Topic], count: int, rng: random.Random) -> list[Question]:
    """`count` live rubric questions of the track's topics, drawn without repeats by a seeded generator."""
    pool = Question.objects.live().filter(type=Question.Type.RUBRIC)
    if track == Track.CUSTOM:
        pool = pool.filter(topic__in=topics) if topics else pool
    elif TRACK_TOPICS.get(track) is not None:
        pool = pool.filter(topic__slug__in=TRACK_TOPICS[track])
    candidates = list(pool.order_by("slug"))
    return rng.sample(candidates, min(max(0, count), len(candidates)))

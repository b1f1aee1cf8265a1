"""The scorecard of a session, as one plain structure for the page, the Markdown export and the API."""

from dataclasses import dataclass, field
from datetime import datetime

from quizsite.interviews import scoring
from quizsite.interviews.models import FollowUp, Interview, InterviewQuestion
from quizsite.questions.models import Question


@dataclass
class QuestionRow:
    item: InterviewQuestion
    score: scoring.QuestionScore
    concepts: list[dict]
    time_used_s: int

    @property
    def question(self) -> Question:
        return self.item.question

    def to_dict(self) -> dict:
        item, question = self.item, self.item.question
        return {
            "number": item.number,
            "id": question.slug,
            "title": question.title,
            "competency": question.competency,
            "answered": item.is_answered,
            "answer_ref": item.flag_ref if item.is_answered else None,
            "answer": item.answer,
            "late": item.is_late,
            "late_by_s": item.late_by_seconds,
            "time_used_s": self.time_used_s,
            "first_answer_score": self.first_answer_score,
            "auto_score": self.score.auto,
            "interviewer_score": self.score.interviewer,
            "final_score": self.score.final,
            "override_reason": item.override_reason,
            "concepts": [
                {"id": c["id"], "label": c.get("label", ""), "weight": c["weight"], "found_by_grader": c["found"],
                 "ticked_by_interviewer": c["ticked"], "missed": c["missed"], "feedback": c.get("feedback", "")}
                for c in self.concepts
            ],
            "follow_up": self.follow_up_dict(),
            "model_answer": question.spec.get("model_answer", ""),
            "notes": item.notes,
        }

    @property
    def follow_up(self) -> FollowUp | None:
        return self.item.get_follow_up()

    @property
    def first_answer_score(self) -> float:
        result = self.item.get_grade()
        return result.score if result else 0.0

    def follow_up_dict(self) -> dict | None:
        follow_up = self.follow_up
        if follow_up is None:
            return None
        result = follow_up.get_grade()
        return {
            "concept": follow_up.concept_id,
            "label": follow_up.concept_label,
            "prompt": follow_up.prompt,
            "answer": follow_up.answer,
            "answered": result is not None,
            "found": follow_up.found,
            "score": result.score if result else None,
            "verdict": result.verdict.value if result else None,
            "feedback": list(result.feedback) if result else [],
            "answer_ref": follow_up.flag_ref if result else None,
        }


@dataclass
class Scorecard:
    interview: Interview
    rows: list[QuestionRow]
    not_reached: list[InterviewQuestion]
    overall: float
    competencies: list[dict] = field(default_factory=list)
    time_used_s: int = 0

    def chart(self) -> dict:
        return {
            "labels": [c["label"] for c in self.competencies],
            "scores": [round(c["score"] * 100) for c in self.competencies],
        }

    def to_dict(self) -> dict:
        interview = self.interview
        return {
            "id": interview.pk,
            "track": interview.track,
            "track_label": interview.track_label(),
            "status": interview.status,
            "started_at": interview.started_at.isoformat(),
            "finished_at": interview.finished_at.isoformat() if interview.finished_at else None,
            "duration_minutes": interview.duration_minutes,
            "time_used_s": self.time_used_s,
            "overall_score": self.overall,
            "competencies": [{"competency": c["competency"], "label": c["label"], "score": c["score"],
                              "questions": c["questions"]} for c in self.competencies],
            "questions": [row.to_dict() for row in self.rows],
            "not_reached": [{"number": item.number, "id": item.question.slug, "title": item.question.title}
                            for item in self.not_reached],
            "flashcards": list(interview.flashcards),
        }


def build_scorecard(interview: Interview, now: datetime) -> Scorecard:
    items = list(interview.items.select_related("question__topic", "follow_up").order_by("position"))
    for item in items:
        item.interview = interview
    asked = [item for item in items if item.was_asked]
    rows = [QuestionRow(item, item.score(), item.concept_rows(), item.time_used_seconds(now)) for item in asked]
    labels = dict(Question.Competency.choices)
    competencies = [
        {"competency": key, "label": labels.get(key, key), "score": value, "questions": n}
        for key, value, n in scoring.by_competency(
            ((row.question.competency, row.score.final) for row in rows), order=labels
        )
    ]
    return Scorecard(
        interview=interview,
        rows=rows,
        not_reached=[item for item in items if not item.was_asked],
        overall=scoring.mean(row.score.final for row in rows) or 0.0,
        competencies=competencies,
        time_used_s=interview.time_used_seconds(now),
    )

"""What happens when an interview ends: the answers reach the study schedule, missed concepts become cards."""

from datetime import datetime

from quizsite.interviews.models import FollowUp, Interview, InterviewQuestion
from quizsite.questions.flags import FlagTarget
from quizsite.questions.models import AnswerSource, Question
from quizsite.questions.signals import answer_graded


def finish_interview(interview: Interview, now: datetime) -> bool:
    """Finish the session once: send each graded answer on, and turn missed concepts into flashcards."""
    if not interview.finish(now):
        return False
    items = interview.asked_items()
    for item in items:
        result = item.final_grade()
        if result is not None:
            answer_graded.send(sender=Question, user=interview.user, question=item.question, grade=result,
                               source="interview")
    interview.flashcards = make_flashcards(interview.user, items)
    interview.save(update_fields=["flashcards"])
    return True


def flashcard_for(item: InterviewQuestion, concept: dict) -> tuple[str, str, list[str]]:
    """(front, back, tags) of the card for one concept the candidate missed."""
    question = item.question
    front = f"Interview question \u201c{question.title}\u201d. Explain this point: {concept['label']}"
    back = concept.get("feedback") or concept["label"]
    tags = ["interview", question.topic.slug, question.competency]
    return front, back, tags


def make_flashcards(user, items: list[InterviewQuestion]) -> list[dict]:
    """One personal card per concept missed by both the grader and the interviewer (idempotent)."""
    from quizsite.cards.services import add_personal_card

    made = []
    for item in items:
        for concept in item.missed_concepts():
            front, back, tags = flashcard_for(item, concept)
            add_personal_card(user, front, back, tags, source="interview")
            made.append({"question": item.question.slug, "concept": concept["id"], "front": front, "back": back})
    return made


def follow_up_flag_target(pk: int, user, session_key: str) -> FlagTarget | None:
    """The candidate's own graded follow-up answer, for questions.flags (kind "follow-up"): graded against
    its one concept, shown on the scorecard once the interview has ended."""
    if user is None or not user.is_authenticated:
        return None
    follow_up = (FollowUp.objects.select_related("item__interview", "item__question")
                 .filter(pk=pk, item__interview__user=user).first())
    if follow_up is None or follow_up.get_grade() is None:
        return None
    return FlagTarget(question=follow_up.item.question, answer_text=follow_up.answer, grade=follow_up.grade,
                      source=AnswerSource.INTERVIEW, shown=follow_up.item.interview.is_finished)


def flag_target(pk: int, user, session_key: str) -> FlagTarget | None:
    """The candidate's own graded interview answer, for questions.flags (kind "interview").

    The flag keeps the grader's own result (not the interviewer's marks): it is the rubric that is in question.
    The grade is shown on the scorecard, so it can be flagged once the interview has ended.
    """
    if user is None or not user.is_authenticated:
        return None
    item = (InterviewQuestion.objects.select_related("interview", "question")
            .filter(pk=pk, interview__user=user).first())
    if item is None or item.get_grade() is None:
        return None
    return FlagTarget(question=item.question, answer_text=item.answer, grade=item.grade,
                      source=AnswerSource.INTERVIEW, shown=item.interview.is_finished)

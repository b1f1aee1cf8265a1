"""Both clocks with a fixed clock: each question's share of the time and the session's total.

The session in these tests: 20 minutes, 2 questions, so 10 minutes a question, started at T0.
"""

from datetime import timedelta

import pytest

from quizsite.interviews.models import Interview, InterviewFinished, LastQuestion, Status, TimeUp

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


def test_the_question_clock_is_the_time_shared_equally(make_interview, t0):
    """20 minutes over 2 questions: the first question's time runs out at T0 + 10 min, the session's at T0 + 20."""
    interview = make_interview()
    item = interview.current_item()
    assert interview.per_question_seconds == 600
    assert item.deadline == t0 + 10 * MIN
    assert interview.deadline == t0 + 20 * MIN
    assert item.remaining_seconds(t0 + 4 * MIN) == 360
    assert interview.remaining_seconds(t0 + 4 * MIN) == 960
    assert item.remaining_seconds(t0 + 11 * MIN) == 0


def test_an_answer_in_time_is_not_late(make_interview, t0):
    """Saved at 9:59 of a 10-minute question: on time."""
    interview = make_interview()
    item, changed = interview.save_answer("a percentile", t0 + 10 * MIN - SEC)
    assert changed and not item.is_late and item.late_by_seconds == 0


def test_an_answer_after_the_question_time_is_kept_and_marked_late(make_interview, t0):
    """Saved 30 s after the question's 10 minutes: the text is kept, graded, and marked 30 s late."""
    interview = make_interview()
    interview.save_answer("early draft", t0 + 2 * MIN)
    item, _ = interview.save_answer("a percentile, saved late", t0 + 10 * MIN + 30 * SEC)
    item.refresh_from_db()
    assert item.answer == "a percentile, saved late"
    assert item.is_late and item.late_by_seconds == 30
    assert item.grade is not None
    assert item.saved_at == t0 + 10 * MIN + 30 * SEC


def test_saving_the_same_text_after_the_deadline_does_not_make_it_late(make_interview, t0):
    """Nothing new was written after time was up: an autosave of unchanged text is not late."""
    interview = make_interview()
    interview.save_answer("on time", t0 + 5 * MIN)
    item, changed = interview.save_answer("on time", t0 + 15 * MIN)
    assert not changed and not item.is_late
    assert item.saved_at == t0 + 5 * MIN


def test_the_next_question_gets_the_time_left_by_the_session_clock(make_interview, t0):
    """Moving on at T0 + 12 min: question 2 would have until T0 + 22 but the session ends at T0 + 20."""
    interview = make_interview()
    second = interview.advance(t0 + 12 * MIN)
    assert second.number == 2 and second.started_at == t0 + 12 * MIN
    assert second.deadline == t0 + 20 * MIN
    first = interview.items.get(position=0)
    assert first.ended_at == t0 + 12 * MIN
    assert first.time_used_seconds(t0 + 30 * MIN) == 12 * 60


def test_after_the_session_time_answers_are_late_and_no_new_question_starts(make_interview, t0):
    """At T0 + 21 min the session is over: the answer is kept and 60 s late; moving on is refused."""
    interview = make_interview(count=2, duration=20)
    item, _ = interview.save_answer("percentile", t0 + 21 * MIN)
    assert item.is_late and item.late_by_seconds == 11 * 60  # question 1 ran out at T0 + 10 min
    with pytest.raises(TimeUp):
        interview.advance(t0 + 21 * MIN)

    interview = make_interview(seed="other")
    interview.advance(t0 + 12 * MIN)
    item, _ = interview.save_answer("cache", t0 + 21 * MIN)
    assert item.is_late and item.late_by_seconds == 60
    assert interview.is_time_up(t0 + 20 * MIN) and not interview.is_time_up(t0 + 20 * MIN - SEC)


def test_a_late_answer_counts_in_the_scorecard_and_is_flagged(make_interview, t0):
    """Late answers are never lost: the late text is graded and the finished session keeps it."""
    interview = make_interview()
    interview.save_answer("a latency percentile; check cpu usage", t0 + 25 * MIN)
    interview.finish(t0 + 26 * MIN)
    interview = Interview.objects.get(pk=interview.pk)
    item = interview.items.get(position=0)
    assert interview.status == Status.FINISHED
    assert item.answer == "a latency percentile; check cpu usage" and item.is_late
    assert item.score().auto > 0
    assert interview.time_used_seconds(t0 + 99 * MIN) == 26 * 60


def test_the_last_question_and_a_finished_session_refuse_more(make_interview, t0):
    """No question after the last; nothing is saved into a finished session."""
    interview = make_interview()
    interview.advance(t0 + MIN)
    with pytest.raises(LastQuestion):
        interview.advance(t0 + 2 * MIN)
    interview.finish(t0 + 3 * MIN)
    with pytest.raises(InterviewFinished):
        interview.save_answer("too late", t0 + 4 * MIN)
    with pytest.raises(InterviewFinished):
        interview.advance(t0 + 4 * MIN)
    assert interview.finish(t0 + 5 * MIN) is False
    assert Interview.objects.get(pk=interview.pk).finished_at == t0 + 3 * MIN

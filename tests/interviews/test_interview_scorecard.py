"""The scorecard against hand-computed numbers, the flashcards it makes, and who can read it.

The hand-maths topic has two questions. "Measure it" (measurement): percentile 3, tail 1, scale 1
(total 5). "Diagnose it" (diagnosis): cpu 1, profile 1, cache 2 (total 4).
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from quizsite.cards.models import PersonalCard
from quizsite.interviews.models import Interview
from quizsite.interviews.scorecard import build_scorecard
from quizsite.interviews.services import finish_interview
from quizsite.questions.signals import answer_graded

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


def by_slug(interview: Interview) -> dict:
    return {item.question.slug: item for item in interview.ordered_items()}


def answer(interview: Interview, texts: dict, t0, minutes: list[int]) -> None:
    """Answer the questions in the order the session drew them, moving on at the given minutes."""
    items = interview.ordered_items()
    for index, item in enumerate(items):
        interview.save_answer(texts[item.question.slug], t0 + (minutes[index] - 1) * MIN)
        if index < len(items) - 1:
            interview.advance(t0 + minutes[index] * MIN)


@pytest.fixture
def graded_interview(make_interview, t0):
    """Measure: 'percentile' found (3/5 = 0.6), the interviewer ticks scale (+1/5) -> 0.8.
    Diagnose: 'cpu usage' found (1/4 = 0.25), ticks profile (+1/4 = 0.5), then overrides to 70%.
    Overall (0.8 + 0.7) / 2 = 0.75. Finished 11 minutes in."""
    interview = make_interview()
    answer(interview, {"hand-measure": "It is a latency percentile.", "hand-diagnose": "Look at the cpu usage."}, t0, [5, 11])
    items = by_slug(interview)
    items["hand-measure"].set_ticks(["scale"])
    items["hand-diagnose"].set_ticks(["profile", "cpu"])
    items["hand-diagnose"].set_override(0.7, "Explained profiling well aloud.")
    return interview


def test_each_question_scores_as_worked_out_by_hand(graded_interview, t0):
    """Automatic, interviewer and final scores per question, then overall and per competency."""
    card = build_scorecard(graded_interview, t0 + 11 * MIN)
    rows = {row.question.slug: row for row in card.rows}
    measure, diagnose = rows["hand-measure"].score, rows["hand-diagnose"].score
    assert measure.auto == pytest.approx(0.6)
    assert measure.combined == pytest.approx(0.8) and measure.final == pytest.approx(0.8)
    assert measure.interviewer == pytest.approx(0.8)
    assert diagnose.auto == pytest.approx(0.25)
    assert diagnose.combined == pytest.approx(0.5)
    assert diagnose.final == pytest.approx(0.7) and diagnose.interviewer == pytest.approx(0.7)
    assert card.overall == pytest.approx(0.75)
    assert [(c["competency"], c["score"]) for c in card.competencies] == [
        ("measurement", pytest.approx(0.8)), ("diagnosis", pytest.approx(0.7))]
    assert card.chart() == {"labels": ["Measurement", "Diagnosis"], "scores": [80, 70]}


def test_time_used_per_question_and_in_total(graded_interview, t0):
    """First question 5 minutes, second 6, finished at T0 + 11 min: 11 minutes in total."""
    finish_interview(graded_interview, t0 + 11 * MIN)
    card = build_scorecard(graded_interview, t0 + 60 * MIN)
    assert [row.time_used_s for row in card.rows] == [5 * 60, 6 * 60]
    assert card.time_used_s == 11 * 60


def test_finishing_stores_the_overall_score_and_makes_cards_for_missed_points(graded_interview, t0, learner):
    """Missed by grader and interviewer: 'tail' and 'cache'. Each becomes one of the learner's cards."""
    finish_interview(graded_interview, t0 + 11 * MIN)
    graded_interview.refresh_from_db()
    assert graded_interview.score == pytest.approx(0.75)
    assert sorted(c["concept"] for c in graded_interview.flashcards) == ["cache", "tail"]
    fronts = set(PersonalCard.objects.filter(user=learner).values_list("front", flat=True))
    assert {c["front"] for c in graded_interview.flashcards} <= fronts
    cache_card = next(c for c in graded_interview.flashcards if c["concept"] == "cache")
    assert "Diagnose it" in cache_card["front"] and cache_card["back"] == "Caching avoids repeated slow calls."


def test_finishing_twice_makes_no_duplicate_cards(graded_interview, t0, learner):
    finish_interview(graded_interview, t0 + 11 * MIN)
    count = PersonalCard.objects.filter(user=learner).count()
    assert finish_interview(graded_interview, t0 + 12 * MIN) is False
    assert PersonalCard.objects.filter(user=learner).count() == count


def test_the_end_sends_each_final_grade_through_the_answer_graded_seam(graded_interview, t0, learner):
    """One answer_graded per answered question, source 'interview', with the final score and ticks."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    answer_graded.connect(receiver, weak=False)
    try:
        finish_interview(graded_interview, t0 + 11 * MIN)
    finally:
        answer_graded.disconnect(receiver)
    assert {k["question"].slug: (k["grade"].score, k["source"], k["user"]) for k in sent} == {
        "hand-measure": (pytest.approx(0.8), "interview", learner),
        "hand-diagnose": (pytest.approx(0.7), "interview", learner),
    }
    measure = next(k["grade"] for k in sent if k["question"].slug == "hand-measure")
    assert {c["id"] for c in measure.concepts_found} == {"percentile", "scale"}
    assert measure.verdict == "correct"  # 0.8 >= 0.75


FIRST_ALONE = {"hand-measure": 0.6, "hand-diagnose": 0.25}  # "a latency percentile; cpu usage" on either question


def test_an_asked_but_unanswered_question_scores_zero(make_interview, t0):
    """First question answered (0.6 or 0.25), the second asked and left empty (0): overall is half the first."""
    interview = make_interview()
    first = interview.ordered_items()[0].question.slug
    interview.save_answer("a latency percentile; cpu usage", t0 + MIN)
    interview.advance(t0 + 2 * MIN)
    finish_interview(interview, t0 + 3 * MIN)
    card = build_scorecard(interview, t0 + 3 * MIN)
    assert len(card.rows) == 2 and not card.not_reached
    assert [row.score.final for row in card.rows] == [pytest.approx(FIRST_ALONE[first]), 0.0]
    assert card.overall == pytest.approx(FIRST_ALONE[first] / 2)


def test_questions_never_reached_are_listed_and_not_scored(make_interview, t0):
    """Finished during question 1: question 2 is 'not reached' and the overall is question 1's score."""
    interview = make_interview()
    first = interview.ordered_items()[0].question.slug
    interview.save_answer("a latency percentile; cpu usage", t0 + MIN)
    finish_interview(interview, t0 + 2 * MIN)
    card = build_scorecard(interview, t0 + 2 * MIN)
    assert len(card.rows) == 1 and len(card.not_reached) == 1
    assert card.overall == pytest.approx(FIRST_ALONE[first])


def test_marks_given_after_the_end_update_the_history_score(graded_interview, t0, client):
    """The interviewer may finish marking after the candidate ends: the stored score follows."""
    finish_interview(graded_interview, t0 + 11 * MIN)
    measure = by_slug(graded_interview)["hand-measure"]
    url = reverse("interviews-interviewer-override", args=[graded_interview.pk, graded_interview.interviewer_token])
    response = client.post(url, {"position": measure.number, "score": 100, "reason": "Perfect aloud."})
    assert response.status_code == 302
    graded_interview.refresh_from_db()
    assert graded_interview.score == pytest.approx((1.0 + 0.7) / 2)


def test_the_candidate_and_the_interviewer_both_see_the_scorecard(graded_interview, t0, learner_client, client):
    finish_interview(graded_interview, t0 + 11 * MIN)
    mine = learner_client.get(reverse("interviews-scorecard", args=[graded_interview.pk]))
    theirs = client.get(reverse("interviews-interviewer-scorecard",
                                args=[graded_interview.pk, graded_interview.interviewer_token]))
    for response in (mine, theirs):
        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-overall-score>75%<' in html
        assert "Explained profiling well aloud." in html
        assert "competency-chart-data" in html
        assert "The percentile of latency" in html  # the model answer


def test_the_markdown_export_downloads_the_same_numbers(graded_interview, t0, learner_client, client):
    finish_interview(graded_interview, t0 + 11 * MIN)
    for response in (
        learner_client.get(reverse("interviews-scorecard-md", args=[graded_interview.pk])),
        client.get(reverse("interviews-interviewer-scorecard-md",
                           args=[graded_interview.pk, graded_interview.interviewer_token])),
    ):
        text = response.content.decode()
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/markdown")
        assert f"interview-{graded_interview.pk}-scorecard.md" in response["Content-Disposition"]
        assert "Overall score: **75%**" in text
        assert "| Measurement | 1 | 80% |" in text and "| Diagnosis | 1 | 70% |" in text
        assert "| 25% | 70% | 70% |" in text  # diagnose: automatic, interviewer, final
        assert "- [ ] Cache the slow calls" in text and "- [x] Profile with a flame graph (interviewer)" in text
        assert "&amp;" not in text and "&#x27;" not in text


def test_the_scorecard_waits_for_the_end(graded_interview, learner_client, client):
    """Before the end the candidate is sent back to the question; the export is not there yet."""
    response = learner_client.get(reverse("interviews-scorecard", args=[graded_interview.pk]))
    assert response.status_code == 302 and response["Location"] == graded_interview.get_absolute_url()
    assert learner_client.get(reverse("interviews-scorecard-md", args=[graded_interview.pk])).status_code == 404
    token = graded_interview.interviewer_token
    response = client.get(reverse("interviews-interviewer-scorecard", args=[graded_interview.pk, token]))
    assert response.status_code == 302

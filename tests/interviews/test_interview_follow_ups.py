"""Follow-ups in solo mock interviews: a missed core point (gate) gets its authored follow-up question when
time allows, graded against that concept alone, and counted on the scorecard as the scoring module says."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from quizsite.interviews.models import FollowUp, Interview, NoFollowUp, QuestionClosed, TimeUp, Track
from quizsite.interviews.scorecard import build_scorecard
from quizsite.interviews.scoring import score_with_follow_up
from quizsite.interviews.services import finish_interview
from quizsite.questions.models import GradeFlag, Question, Topic

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
JSON = {"HTTP_ACCEPT": "application/json"}

# Weights: fails-fast 2 (gate), threshold 1, half-open 1 (gate); total 4.
SPEC = {
    "type": "rubric",
    "model_answer": ("A circuit breaker wraps calls to a failing dependency. When failures pass a threshold it "
                     "opens and fails fast instead of calling the dependency. After a cool-down it goes "
                     "half-open and lets a trial request through to test recovery."),
    "concepts": [
        {"id": "fails-fast", "label": "Open means failing fast", "gate": True, "weight": 2,
         "claims": ["(opens|open) ... (fails|fail) fast", "(stops|stop) calling ... dependency"],
         "follow_up": "What does the breaker do with a call while it is open?",
         "feedback": "Say that an open breaker fails calls at once instead of calling the dependency."},
        {"id": "threshold", "label": "It trips on a failure threshold", "weight": 1,
         "claims": ["failures (pass|exceed|cross|reach) ... threshold", "error rate (above|over) ... threshold"],
         "feedback": "Say what trips it: failures passing a threshold."},
        {"id": "half-open", "label": "Half-open probes recovery", "gate": True, "weight": 1,
         "claims": ["half-open ... (trial|test|probe) (request|call)", "cool-down ... (trial|test) (request|call)"],
         "follow_up": "How does the breaker find out that the dependency has recovered?",
         "feedback": "Say how it recovers: half-open lets a trial request through."},
    ],
    "misconceptions": [
        {"id": "open-lets-through", "label": "Open does not let requests through",
         "claims": ["(opens|open) ... (lets|let) (all)? (requests|traffic|calls) through"],
         "correction": "Open blocks calls and fails fast; closed lets them through."},
        {"id": "closed-blocks", "label": "Closed does not block traffic",
         "claims": ["closed ... (blocks|block) (all)? (requests|traffic|calls)"],
         "correction": "Closed is the normal state: calls flow through."},
        {"id": "retries-harder", "label": "A breaker does not retry harder",
         "claims": ["(retries|retry) (more|harder|faster) ... (failing|failed) (calls|requests)"],
         "correction": "A breaker stops calling the failing dependency; it does not retry more."},
    ],
}
FAILS_FAST_PROMPT = "What does the breaker do with a call while it is open?"

# Threshold and half-open found (2/4 = 0.5), the fails-fast gate missed: capped at 0.4.
MISSES_GATE = ("When failures exceed a threshold the breaker trips. After a cool-down it lets a trial request "
               "through to see if things recovered.")
# Only the threshold (1/4 = 0.25): both gates missed.
MISSES_BOTH_GATES = "It trips when failures exceed a set threshold for the service."
# Everything: 1.0.
MEETS_GATES = ("Once failures exceed the threshold it opens and fails fast. After a cool-down it sends a trial "
               "request.")
FOLLOW_UP_RIGHT = "While it is open it fails fast and stops calling the dependency."
FOLLOW_UP_OFF_TOPIC = "After a cool-down it sends a trial request to test recovery."
FOLLOW_UP_WRONG = "When it opens it lets all requests through to the dependency."


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def breaker_topic(db) -> Topic:
    """Two questions with the same rubric, so whichever comes first has two gates with follow-ups."""
    topic = Topic.objects.create(slug="breakers", name="Breakers", position=98)
    for slug in ("breaker-one", "breaker-two"):
        Question.objects.create(slug=slug, topic=topic, type="rubric", competency="tradeoffs",
                                title=f"Circuit breaker ({slug})", prompt="Explain how a circuit breaker works.",
                                explanation="", spec=SPEC)
    return topic


@pytest.fixture
def start(learner, breaker_topic, t0):
    """A 20-minute session of 2 questions (10 minutes each), alone unless said otherwise."""

    def make(now=None, with_interviewer=False, user=None) -> Interview:
        return Interview.start(user or learner, Track.CUSTOM, 20, 2, now or t0, topics=[breaker_topic],
                               with_interviewer=with_interviewer, seed="fixed")

    return make


def answered(start, t0, text=MISSES_GATE) -> Interview:
    interview = start()
    interview.save_answer(text, t0 + MIN)
    return interview


# The model


def test_a_missed_gate_asks_its_follow_up_before_moving_on(start, t0):
    interview = answered(start, t0)
    item = interview.advance(t0 + 2 * MIN)
    assert interview.current_position == 0 and item.position == 0
    follow_up = item.get_follow_up()
    assert follow_up.prompt == FAILS_FAST_PROMPT and follow_up.concept_id == "fails-fast"
    assert follow_up.asked_at == t0 + 2 * MIN and follow_up.deadline == t0 + 10 * MIN == item.deadline
    interview.save_follow_up(FOLLOW_UP_RIGHT, t0 + 3 * MIN, position=0)
    follow_up.refresh_from_db()
    assert follow_up.answer == FOLLOW_UP_RIGHT and follow_up.saved_at == t0 + 3 * MIN
    assert follow_up.grade["verdict"] == "correct" and follow_up.found
    assert [c["id"] for c in follow_up.grade["concepts_found"]] == ["fails-fast"]
    moved = interview.advance(t0 + 4 * MIN)
    assert interview.current_position == 1 and moved.position == 1
    assert FollowUp.objects.count() == 1


def test_the_follow_up_is_graded_against_that_concept_alone(start, t0):
    """Another concept said again in the follow-up earns nothing: only the asked concept counts."""
    interview = answered(start, t0)
    interview.advance(t0 + 2 * MIN)
    follow_up, changed = interview.save_follow_up(FOLLOW_UP_OFF_TOPIC, t0 + 3 * MIN)
    assert changed and follow_up.grade["score"] == 0.0 and not follow_up.found
    assert follow_up.grade["details"]["concept"] == "fails-fast"
    assert interview.current_item().auto_score() == pytest.approx(0.4)


def test_only_the_first_missed_gate_is_followed_up_and_the_other_still_caps(start, t0):
    """Both gates missed (0.25): the follow-up on fails-fast lifts it to (1 + 2) / 4 = 0.75, capped at 0.4 because
    half-open is still missed; no second follow-up is asked."""
    interview = answered(start, t0, MISSES_BOTH_GATES)
    item = interview.advance(t0 + 2 * MIN)
    assert item.get_follow_up().concept_id == "fails-fast"
    interview.save_follow_up(FOLLOW_UP_RIGHT, t0 + 3 * MIN)
    item = interview.current_item()
    assert item.get_grade().score == pytest.approx(0.25)
    assert item.auto_score() == pytest.approx(0.4)
    assert interview.advance(t0 + 4 * MIN).position == 1


def test_no_follow_up_when_the_gate_was_met(start, t0):
    interview = answered(start, t0, MEETS_GATES)
    assert interview.advance(t0 + 2 * MIN).position == 1
    assert not FollowUp.objects.exists()


def test_no_follow_up_for_an_unanswered_question(start, t0):
    interview = answered(start, t0, "   ")
    assert interview.advance(t0 + 2 * MIN).position == 1
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(("left_s", "asked"), [(90, True), (89, False), (0, False)])
def test_a_follow_up_needs_90_seconds_left_on_the_question(start, t0, left_s, asked):
    interview = answered(start, t0)
    now = t0 + 10 * MIN - timedelta(seconds=left_s)
    moved = interview.advance(now)
    assert (moved.position == 0) is asked
    assert FollowUp.objects.exists() is asked


def test_the_minimum_comes_from_settings(start, t0, settings):
    settings.INTERVIEW_FOLLOW_UP_MIN_S = 9 * 60
    interview = answered(start, t0)
    assert interview.advance(t0 + 2 * MIN).position == 1  # 8 minutes left, 9 needed


def test_no_follow_up_with_an_interviewer_whose_page_shows_the_authored_one(start, t0, client):
    interview = start(with_interviewer=True)
    interview.save_answer(MISSES_GATE, t0 + MIN)
    assert interview.advance(t0 + 2 * MIN).position == 1
    assert not FollowUp.objects.exists()
    url = reverse("interviews-interviewer", args=[interview.pk, interview.interviewer_token])
    html = client.get(f"{url}?q=1").content.decode()
    assert FAILS_FAST_PROMPT in html and "How does the breaker find out" in html


def test_a_follow_up_past_its_time_is_refused(start, t0):
    interview = answered(start, t0)
    interview.advance(t0 + 2 * MIN)
    with pytest.raises(TimeUp):
        interview.save_follow_up(FOLLOW_UP_RIGHT, t0 + 10 * MIN + timedelta(seconds=1))
    follow_up = FollowUp.objects.get()
    assert follow_up.answer == "" and follow_up.grade is None


def test_once_the_follow_up_is_asked_the_answer_is_closed(start, t0):
    """A stale autosave of the first answer cannot change the grade that asked the follow-up."""
    interview = answered(start, t0)
    interview.advance(t0 + 2 * MIN)
    with pytest.raises(QuestionClosed):
        interview.save_answer(MEETS_GATES, t0 + 3 * MIN)
    assert interview.current_item().answer == MISSES_GATE


def test_no_follow_up_saved_without_one_asked(start, t0):
    interview = answered(start, t0)
    with pytest.raises(NoFollowUp):
        interview.save_follow_up("anything", t0 + 2 * MIN)


# How it counts


@pytest.mark.parametrize(("follow_up_text", "auto"), [
    (FOLLOW_UP_RIGHT, 1.0),     # (2 + 2) / 4: what the first answer would have scored had it said it
    (FOLLOW_UP_OFF_TOPIC, 0.4),  # nothing gained
    (FOLLOW_UP_WRONG, 0.3),     # a wrong claim caps the question
    ("", 0.4),                  # not answered
])
def test_the_scorecard_counts_the_follow_up(start, t0, follow_up_text, auto):
    interview = answered(start, t0)
    interview.advance(t0 + 2 * MIN)
    if follow_up_text:
        interview.save_follow_up(follow_up_text, t0 + 3 * MIN)
    finish_interview(interview, t0 + 4 * MIN)
    card = build_scorecard(interview, t0 + 4 * MIN)
    row = card.rows[0]
    assert row.first_answer_score == pytest.approx(0.4)
    assert row.score.auto == pytest.approx(auto) and row.score.final == pytest.approx(auto)
    data = card.to_dict()["questions"][0]
    assert data["follow_up"]["prompt"] == FAILS_FAST_PROMPT and data["follow_up"]["answer"] == follow_up_text
    assert data["follow_up"]["found"] is (follow_up_text == FOLLOW_UP_RIGHT)
    assert data["auto_score"] == pytest.approx(auto) and data["first_answer_score"] == pytest.approx(0.4)
    fails_fast = next(c for c in data["concepts"] if c["id"] == "fails-fast")
    assert fails_fast["missed"] is (follow_up_text != FOLLOW_UP_RIGHT)
    made = {card["concept"] for card in Interview.objects.get(pk=interview.pk).flashcards}
    assert ("fails-fast" in made) is (follow_up_text != FOLLOW_UP_RIGHT)


def test_a_misconception_in_the_first_answer_still_caps_after_a_good_follow_up():
    """First answer 0.3 (a misconception, gate missed, 2/4 found): a good follow-up would make it 1.0, but the
    stated wrong claim keeps the cap."""
    first = {"score": 0.3, "verdict": "incorrect", "misconceptions": [{"id": "open-lets-through"}],
             "details": {"found_weight": 2.0, "total_weight": 4.0, "gates_missed": ["fails-fast"], "penalty": 0.0}}
    good = {"score": 1.0, "verdict": "correct", "concepts_found": [{"id": "fails-fast"}], "misconceptions": []}
    assert score_with_follow_up(first, "fails-fast", 2.0, good) == pytest.approx(0.3)


def test_a_follow_up_never_lowers_a_score_it_confirms_and_never_passes_a_complete_answer():
    first = {"score": 0.4, "verdict": "partial", "misconceptions": [],
             "details": {"found_weight": 3.0, "total_weight": 4.0, "gates_missed": ["g"], "penalty": 0.0}}
    good = {"score": 1.0, "verdict": "correct", "concepts_found": [{"id": "g"}], "misconceptions": []}
    assert score_with_follow_up(first, "g", 1.0, good) == pytest.approx(1.0)
    assert score_with_follow_up(first, "g", 5.0, good) == pytest.approx(1.0)  # clamped at a complete answer
    invalid = {"score": 0.0, "verdict": "invalid"}
    assert score_with_follow_up(first, "g", 1.0, invalid) == pytest.approx(0.4)
    assert score_with_follow_up({"score": 0.4}, "g", 1.0, good) == pytest.approx(0.4)  # no weights: unchanged


# Pages


@pytest.fixture
def live(start):
    return start(now=timezone.now())


def test_next_shows_the_follow_up_and_its_own_autosaved_answer(learner_client, live):
    learner_client.post(reverse("interviews-next", args=[live.pk]), {"text": MISSES_GATE, "position": 1})
    page = learner_client.get(reverse("interviews-detail", args=[live.pk]))
    html = page.content.decode()
    assert f"Follow-up: {FAILS_FAST_PROMPT}" in html and "One follow-up question" in html
    assert 'name="part" value="follow-up"' in html and 'data-part="follow-up"' in html
    assert MISSES_GATE in html and "Question 1 of 2" in html
    assert "<script>" not in html and "onclick" not in html
    saved = learner_client.post(reverse("interviews-save", args=[live.pk]),
                                {"text": FOLLOW_UP_RIGHT, "position": 1, "part": "follow-up"}, **JSON)
    assert saved.status_code == 200 and saved.json()["changed"] is True
    assert FollowUp.objects.get().answer == FOLLOW_UP_RIGHT
    stale = learner_client.post(reverse("interviews-save", args=[live.pk]), {"text": "older", "position": 1}, **JSON)
    assert stale.status_code == 409
    learner_client.post(reverse("interviews-next", args=[live.pk]),
                        {"text": FOLLOW_UP_RIGHT, "position": 1, "part": "follow-up"})
    live.refresh_from_db()
    assert live.current_position == 1


def test_a_late_follow_up_is_refused_but_the_candidate_moves_on(learner_client, start):
    interview = start(now=timezone.now() - 5 * MIN)
    interview.save_answer(MISSES_GATE, timezone.now() - 4 * MIN)
    interview.advance(timezone.now() - 4 * MIN)
    FollowUp.objects.update(deadline=timezone.now() - timedelta(seconds=1))
    refused = learner_client.post(reverse("interviews-save", args=[interview.pk]),
                                  {"text": FOLLOW_UP_RIGHT, "position": 1, "part": "follow-up"}, **JSON)
    assert refused.status_code == 409 and "Time is up" in refused.json()["error"]
    response = learner_client.post(reverse("interviews-next", args=[interview.pk]),
                                   {"text": FOLLOW_UP_RIGHT, "position": 1, "part": "follow-up"}, follow=True)
    assert "Time is up for this follow-up" in response.content.decode()
    interview.refresh_from_db()
    assert interview.current_position == 1 and FollowUp.objects.get().answer == ""


def test_finish_on_the_last_question_asks_its_follow_up_first(learner_client, live):
    learner_client.post(reverse("interviews-next", args=[live.pk]), {"text": MEETS_GATES, "position": 1})
    first = learner_client.post(reverse("interviews-finish", args=[live.pk]), {"text": MISSES_GATE, "position": 2})
    assert first["Location"] == reverse("interviews-detail", args=[live.pk])
    live.refresh_from_db()
    assert not live.is_finished
    done = learner_client.post(reverse("interviews-finish", args=[live.pk]),
                               {"text": FOLLOW_UP_RIGHT, "position": 2, "part": "follow-up"})
    assert done["Location"] == reverse("interviews-scorecard", args=[live.pk])
    html = learner_client.get(done["Location"]).content.decode()
    assert "Follow-up on “Open means failing fast”" in html and FOLLOW_UP_RIGHT in html
    assert "went from 40% to 100%" in html and "(grader, in the follow-up)" in html
    follow_up = FollowUp.objects.get()
    assert f'value="{follow_up.flag_ref}"' in html
    learner_client.post("/grades/flag", {"ref": follow_up.flag_ref, "comment": "fine"})
    flag = GradeFlag.objects.get()
    assert flag.answer_text == FOLLOW_UP_RIGHT and flag.grade == follow_up.grade and flag.source == "interview"
    markdown = learner_client.get(reverse("interviews-scorecard-md", args=[live.pk])).content.decode()
    assert FAILS_FAST_PROMPT in markdown and "40% → 100%" in markdown


# API


def test_the_api_asks_saves_and_scores_the_follow_up(api_client, learner, live):
    api_client.force_authenticate(learner)
    base = f"/api/v1/interviews/{live.pk}"
    api_client.put(f"{base}/answer", {"text": MISSES_GATE, "position": 1}, format="json")
    asked = api_client.post(f"{base}/next").json()
    assert asked["number"] == 1 and asked["follow_up"]["prompt"] == FAILS_FAST_PROMPT
    assert asked["follow_up"]["remaining_s"] > 90 and "concepts" not in str(asked)
    saved = api_client.put(f"{base}/answer", {"text": FOLLOW_UP_RIGHT, "position": 1, "part": "follow-up"},
                           format="json")
    assert saved.status_code == 200 and saved.json()["part"] == "follow-up"
    assert api_client.get(f"{base}/current").json()["follow_up"]["answer"] == FOLLOW_UP_RIGHT
    moved = api_client.post(f"{base}/next").json()
    assert moved["number"] == 2 and moved["follow_up"] is None
    nothing = api_client.put(f"{base}/answer", {"text": "x", "part": "follow-up"}, format="json")
    assert nothing.status_code == 409 and nothing.json()["error"]
    bad = api_client.put(f"{base}/answer", {"text": "x", "part": "afterthought"}, format="json")
    assert bad.status_code == 400
    api_client.put(f"{base}/answer", {"text": MISSES_GATE, "position": 2}, format="json")
    pending = api_client.post(f"{base}/finish").json()
    assert pending["status"] == "in_progress" and pending["follow_up"]["prompt"] == FAILS_FAST_PROMPT
    FollowUp.objects.filter(item__position=1).update(deadline=timezone.now() - timedelta(seconds=1))
    late = api_client.put(f"{base}/answer", {"text": FOLLOW_UP_RIGHT, "part": "follow-up"}, format="json")
    assert late.status_code == 409 and "Time is up" in late.json()["error"]
    card = api_client.post(f"{base}/finish").json()
    assert card["status"] == "finished"
    first, second = card["questions"]
    assert first["follow_up"]["found"] is True and first["auto_score"] == pytest.approx(1.0)
    assert second["follow_up"]["answered"] is False and second["auto_score"] == pytest.approx(0.4)
    assert card["overall_score"] == pytest.approx(0.7)
    flagged = api_client.post("/api/v1/grade-flags", {"answer_ref": first["follow_up"]["answer_ref"]},
                              format="json")
    assert flagged.status_code == 201 and flagged.json()["answer_text"] == FOLLOW_UP_RIGHT

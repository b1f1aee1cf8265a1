"""Interview fixtures: a fixed clock and a small rubric track whose weights make the maths easy by hand."""

from datetime import UTC, datetime

import pytest

from quizsite.interviews.models import Interview, Track
from quizsite.questions.models import Question, Topic

T0 = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)

def _wrong(i: int) -> dict:
    return {"id": f"wrong-{i}", "label": f"Wrong {i}", "claims": [f"wrongclaim{i} number{i}"],
            "correction": f"Right {i}."}


# Total weight 5: the percentile concept alone scores 3/5 = 0.6 (it is the gate).
MEASURE_SPEC = {
    "type": "rubric",
    "model_answer": "The percentile of latency; the tail latency matters; many users see it.",
    "concepts": [
        {"id": "percentile", "label": "A percentile of latency", "weight": 3, "gate": True,
         "claims": ["latency percentile", "percentile of latency", "p99 (is|means) (a)? percentile"],
         "follow_up": "What kind of number is it?", "feedback": "Say it is a percentile."},
        {"id": "tail", "label": "The tail matters", "weight": 1, "claims": ["tail latency"],
         "feedback": "Talk about the tail."},
        {"id": "scale", "label": "Many users at scale", "claims": ["many users"],
         "feedback": "Make the scale concrete."},
    ],
    "misconceptions": [_wrong(1), _wrong(2), _wrong(3)],
}
# Total weight 4: CPU alone scores 1/4 = 0.25 (it is the gate).
DIAGNOSE_SPEC = {
    "type": "rubric",
    "model_answer": "Check cpu usage, read a flame graph, then add a cache.",
    "concepts": [
        {"id": "cpu", "label": "Check CPU usage", "weight": 1, "gate": True, "claims": ["cpu usage"],
         "follow_up": "What would you look at first?", "feedback": "Look at the CPU first."},
        {"id": "profile", "label": "Profile with a flame graph", "weight": 1, "claims": ["flame graph"],
         "feedback": "Profile to see where time goes."},
        {"id": "cache", "label": "Cache the slow calls", "weight": 2, "claims": ["add (a)? cache", "cache (the)? slow calls"],
         "feedback": "Caching avoids repeated slow calls."},
    ],
    "misconceptions": [_wrong(1), _wrong(2), _wrong(3)],
}


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture(autouse=True)
def _links_outlive_the_fixed_clock(settings):
    """Sessions here start at T0 (in the past) while pages read the real clock: interviewer links stay live
    for these tests. Their expiry is tested with real times in tests/site/test_interviewer_links.py."""
    settings.INTERVIEWER_LINK_TTL_HOURS = 24 * 365 * 50


@pytest.fixture
def hand_topic(db) -> Topic:
    """A topic of its own with exactly two rubric questions (measurement and diagnosis)."""
    topic = Topic.objects.create(slug="hand-maths", name="Hand maths", position=99)
    Question.objects.create(
        slug="hand-measure", topic=topic, type="rubric", competency="measurement", title="Measure it",
        prompt="What is a percentile?", explanation="Because.", spec=MEASURE_SPEC,
        follow_ups=["What about P99.9?"],
    )
    Question.objects.create(
        slug="hand-diagnose", topic=topic, type="rubric", competency="diagnosis", title="Diagnose it",
        prompt="Why is it slow?", explanation="Because.", spec=DIAGNOSE_SPEC, follow_ups=["And if CPU is low?"],
    )
    return topic


@pytest.fixture
def make_interview(learner, hand_topic, t0):
    """A chosen-topics session on the hand-maths topic: 20 minutes, 2 questions (10 minutes each)."""

    def make(user=None, duration=20, count=2, with_interviewer=True, seed="fixed", now=None) -> Interview:
        return Interview.start(user or learner, Track.CUSTOM, duration, count, now or t0, topics=[hand_topic],
                               with_interviewer=with_interviewer, seed=seed)

    return make


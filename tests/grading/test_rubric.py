"""Free-text answers graded against rubrics: quality on the lesson's two questions, then each rule."""

import pytest
from grading_fixtures import ANSWERS, DEBUG, P99

from quizsite.questions.grading import Verdict, grade
from quizsite.questions.grading.engine import compile_spec

RUBRICS = {"p99": P99, "debug": DEBUG}


def answers(kind: str) -> list[tuple[str, str]]:
    return [(name, text) for name in RUBRICS for text in ANSWERS[name].get(kind, [])]


@pytest.mark.parametrize(("rubric", "text"), answers("strong"))
def test_strong_answers_score_at_least_0_9(rubric, text):
    """An answer covering every concept, in the words of the model answer or close to them, is correct."""
    result = grade(RUBRICS[rubric], text)
    assert result.score >= 0.9, result.feedback
    assert result.verdict == Verdict.CORRECT


@pytest.mark.parametrize(("rubric", "text"), answers("paraphrased"))
def test_paraphrased_answers_with_typos_score_at_least_0_75(rubric, text):
    """Different words, number words and typos ("latncy", "profilling", "cahce") still earn the concepts."""
    result = grade(RUBRICS[rubric], text)
    assert result.score >= 0.75, result.feedback
    assert result.verdict == Verdict.CORRECT


@pytest.mark.parametrize(("rubric", "text"), answers("partial"))
def test_partial_answers_land_partial(rubric, text):
    """Two of four or five concepts is partial credit."""
    result = grade(RUBRICS[rubric], text)
    assert result.verdict == Verdict.PARTIAL, result.feedback
    assert 0.35 <= result.score < 0.75


@pytest.mark.parametrize(("rubric", "text"), answers("vague"))
def test_vague_answers_score_below_0_35(rubric, text):
    """ "Make it faster, use better servers" names no concept."""
    result = grade(RUBRICS[rubric], text)
    assert result.score < 0.35
    assert result.verdict == Verdict.INCORRECT


@pytest.mark.parametrize(("rubric", "text"), answers("negated") + answers("wrong"))
def test_negated_or_wrong_answers_get_no_credit(rubric, text):
    """Negating the concepts ("don't bother profiling") or stating a misconception earns nothing."""
    result = grade(RUBRICS[rubric], text)
    assert result.score < 0.35
    assert result.verdict == Verdict.INCORRECT


def test_negated_concepts_are_reported():
    """A concept mentioned only to be dismissed is missed, and the feedback says so."""
    result = grade(DEBUG, "Don't bother profiling or digging into the database; just add more servers.")
    negated = {c["id"]: c.get("negated") for c in result.concepts_missed}
    assert negated["profile"] == "profiling"
    assert negated["io"] == "database"
    assert (
        "✗ Profile the code (flame graph) — you mentioned “profiling” but said not to — Profile under load "
        "and read a flame graph to see where the time goes." in result.feedback
    )
    assert [m["id"] for m in result.misconceptions] == ["hardware-first"]


def test_model_answers_score_full_marks():
    """Each rubric's own model answer is correct with every concept found."""
    for spec in RUBRICS.values():
        result = grade(spec, spec["model_answer"])
        assert (result.score, result.verdict, result.concepts_missed) == (1.0, Verdict.CORRECT, [])


def test_expected_is_the_model_answer():
    """The expected answer shown after grading is the model answer."""
    assert grade(P99, "anything at all").expected == P99["model_answer"]


SMALL = {
    "type": "rubric",
    "model_answer": "Check CPU usage, profile with a flame graph, and add a cache.",
    "concepts": [
        {
            "id": "cpu",
            "label": "Check CPU usage",
            "phrasings": ["check cpu usage"],
            "feedback": "Look at CPU.",
        },
        {
            "id": "profile",
            "label": "Profile",
            "phrasings": ["profile", "flame graph"],
            "feedback": "Profile it.",
        },
        {"id": "cache", "label": "Cache", "phrasings": ["cache"]},
        {"id": "latency", "label": "Latency", "phrasings": ["latency percentile"]},
    ],
}


def found(text: str, spec: dict = SMALL) -> set[str]:
    return {c["id"] for c in grade(spec, text).concepts_found}


@pytest.mark.parametrize(
    "text",
    [
        "check cpu usage",
        "Check the CPU usage",
        "CHECK CPU USAGE!",
        "check the box's CPU usage",
        "I'd check CPU's usage",
        "check current cpu usage",
        "checking cpu usages",
    ],
)
def test_phrasing_words_in_order_within_two_extra_words_match(text):
    """A phrasing matches when its words appear in order with at most two extra words among them."""
    assert "cpu" in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "check the machines and then the cpu usage",
        "usage of cpu, check it",
        "cpu usage",
        "check cpu. usage is high",
        "check cpu; usage",
    ],
)
def test_phrasing_words_too_far_apart_out_of_order_or_across_sentences_do_not_match(text):
    """Words more than two apart, out of order, missing, or in different sentences do not match."""
    assert "cpu" not in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("caches", "cache"),
        ("caching", "cache"),
        ("cached", "cache"),
        ("profiling", "profile"),
        ("profiled", "profile"),
        ("profiles", "profile"),
        ("flame graphs", "profile"),
        ("flame-graph", "profile"),
        ("flamegraph", "profile"),
        ("CACHÉ", "cache"),
        ("ｃａｃｈｅ", "cache"),
        ("latencies percentiles", "latency"),
    ],
)
def test_normalisation_and_stemming(text, concept):
    """Plurals, -ing and -ed, case, accents, full-width letters and hyphens do not matter."""
    assert concept in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("profilling", "profile"),
        ("cahce", "cache"),
        ("latncy percentile", "latency"),
        ("latency percentle", "latency"),
        ("flame grahp", "profile"),
        ("proflie", "profile"),
    ],
)
def test_typos_in_long_words_are_tolerated(text, concept):
    """Words of five letters or more match with a typo or a swapped pair of letters."""
    assert concept in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("check cpv usage", "cpu"),
        ("catch", "cache"),
        ("latent percentile", "latency"),
        ("prof", "profile"),
        ("fame graph", "profile"),
    ],
)
def test_short_words_and_different_words_need_exact_spelling(text, concept):
    """Words under five letters must be exact, and a different word is not a typo."""
    assert concept not in found(text)


NUMBERS = {
    "type": "rubric",
    "model_answer": "P99 is the 99th percentile; 1% of 1M users is 10,000 users, 1 in 100 requests; i/o and "
    "db.",
    "concepts": [
        {"id": "ten-thousand", "label": "10,000 users", "phrasings": ["10000 users"]},
        {"id": "percentile", "label": "99th percentile", "phrasings": ["99th percentile"]},
        {"id": "one-in-100", "label": "1 in 100", "phrasings": ["1 in 100"]},
        {"id": "percent", "label": "1% of 1M", "phrasings": ["1% of 1m"]},
        {"id": "io", "label": "I/O and database", "phrasings": ["io database"]},
        {"id": "p99", "label": "p99", "phrasings": ["p99"]},
    ],
}


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("10,000 users", "ten-thousand"),
        ("10000 users", "ten-thousand"),
        ("10k users", "ten-thousand"),
        ("ten thousand users", "ten-thousand"),
        ("10 thousand users", "ten-thousand"),
        ("ninety-ninth percentile", "percentile"),
        ("ninety ninth percentile", "percentile"),
        ("one in a hundred", "one-in-100"),
        ("1 in every 100", "one-in-100"),
        ("1 percent of a million", "percent"),
        ("one percent of 1,000,000", "percent"),
        ("1 % of 1M", "percent"),
        ("I/O and DB", "io"),
        ("i/o, the database", "io"),
        ("P 99", "p99"),
        ("p-99", "p99"),
        ("P99", "p99"),
    ],
)
def test_numbers_and_abbreviations_have_one_form(text, concept):
    """10,000 / 10k / ten thousand, percent / %, number words, I/O and db are written many ways."""
    assert concept in found(text, NUMBERS)


NEGATION = {
    "type": "rubric",
    "model_answer": "Profile it.",
    "concepts": [{"id": "profile", "label": "Profile", "phrasings": ["profile", "flame graph"]}],
}


@pytest.mark.parametrize(
    "text",
    [
        "Don't profile.",
        "don’t bother profiling",
        "Do not profile it",
        "never profile in production",
        "No profiling needed",
        "There is no need to profile",
        "I wouldn't bother profiling",
        "without profiling",
        "avoid profiling",
        "instead of profiling, guess",
        "skip the flame graph",
        "profiling is pointless",
        "profiling won't help here",
        "profiling is not needed",
        "Don't guess or profile",
        "I would rather not profile",
    ],
)
def test_negated_mentions_earn_no_credit(text):
    """A negator within three words before a phrase (or "is pointless" after it) cancels the concept."""
    result = grade(NEGATION, text)
    assert result.score == 0
    assert result.concepts_missed[0].get("negated")


@pytest.mark.parametrize(
    "text",
    [
        "Profile it.",
        "You can't fix it without profiling.",
        "Don't guess, profile.",
        "Don't guess; profile.",
        "Avoid guessing and profile.",
        "No, I'd profile first.",
        "Not only profile but also trace.",
        "There's no doubt: profile.",
        "It isn't slow because of the network, so profile it.",
        "I won't scale up before I profile.",
        "Never guess. Profile.",
        "Don't guess, profile instead.",
    ],
)
def test_negation_stops_at_clause_boundaries_and_double_negatives(text):
    """Punctuation and words like "but", "so", "before" end a negation; "can't ... without" is affirmative."""
    assert grade(NEGATION, text).score == 1.0


def test_a_plain_mention_wins_over_a_negated_one():
    """A concept negated once and stated plainly elsewhere counts."""
    assert grade(NEGATION, "Don't guess the profile numbers. Profile under load.").score == 1.0


WEIGHTED = {
    "type": "rubric",
    "model_answer": "Measure, then profile, then cache.",
    "concepts": [
        {"id": "measure", "label": "Measure", "weight": 3, "phrasings": ["measure"]},
        {
            "id": "cache",
            "label": "Cache",
            "weight": 1,
            "phrasings": ["cache"],
            "feedback": "Cache the calls.",
        },
    ],
    "misconceptions": [
        {
            "id": "guess",
            "label": "Guesses",
            "phrasings": ["just guess"],
            "penalty": 0.5,
            "feedback": "Measure.",
        },
        {"id": "reboot", "label": "Reboots", "phrasings": ["reboot"]},
    ],
}


@pytest.mark.parametrize(
    ("text", "score", "verdict"),
    [
        ("measure and cache", 1.0, Verdict.CORRECT),
        ("measure it", 0.75, Verdict.CORRECT),  # 3 / 4
        ("cache it", 0.25, Verdict.INCORRECT),  # 1 / 4
        ("measure it and just guess", 0.25, Verdict.INCORRECT),  # 3/4 - 0.5
        ("measure and cache, then reboot", 0.75, Verdict.CORRECT),  # 1 - 0.25 default penalty
        ("cache, reboot and just guess", 0.0, Verdict.INCORRECT),  # 1/4 - 0.75, clamped
        ("measure, reboot", 0.5, Verdict.PARTIAL),  # 3/4 - 0.25
    ],
)
def test_score_is_found_weight_over_total_minus_penalties(text, score, verdict):
    """Score = found weight / total weight − misconception penalties, clamped to [0, 1]."""
    result = grade(WEIGHTED, text)
    assert result.score == pytest.approx(score)
    assert result.verdict == verdict


def test_thresholds_can_be_set_per_question():
    """With thresholds correct 0.8 / partial 0.2, 0.75 is partial and 0.25 is partial."""
    spec = {**WEIGHTED, "thresholds": {"correct": 0.8, "partial": 0.2}}
    assert grade(spec, "measure it").verdict == Verdict.PARTIAL
    assert grade(spec, "cache it").verdict == Verdict.PARTIAL


def test_feedback_lists_every_concept_and_misconception():
    """Found concepts quote the learner; missed ones give the author's feedback; misconceptions their cost."""
    result = grade(WEIGHTED, "First measure everything, then reboot the box.")
    assert result.feedback == [
        "You covered 1 of 2 key points.",
        "✓ Measure — you said “measure”",
        "✗ Cache — Cache the calls.",
        "⚠ Reboots (−0.25) — you said “reboot”",
    ]
    assert result.concepts_found == [
        {"id": "measure", "label": "Measure", "weight": 3.0, "matched": "measure"}
    ]
    assert result.concepts_missed == [
        {"id": "cache", "label": "Cache", "weight": 1.0, "feedback": "Cache the calls."}
    ]
    assert result.misconceptions == [
        {"id": "reboot", "label": "Reboots", "penalty": 0.25, "matched": "reboot", "feedback": ""}
    ]
    assert result.details == {"found_weight": 3.0, "total_weight": 4.0, "penalty": 0.25, "words": 6}


def test_quotes_keep_the_learners_words_between():
    """The quote covers the matched span, extra words included."""
    result = grade(SMALL, "I would check the current CPU usage first.")
    assert result.concepts_found[0]["matched"] == "check the current cpu usage"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("", "Write an answer first."),
        ("   \n\t ", "Write an answer first."),
        ("\x00", "Write an answer first."),
        ("\u200b", "Write an answer first."),
        ("🔥🔥🔥", "Write your answer in words."),
        ("... !!! ???", "Write your answer in words."),
        (None, "Write your answer as text."),
        (42, "Write your answer as text."),
        (["profile"], "Write your answer as text."),
        (b"profile", "Write your answer as text."),
        ("profile " * 1251, "Your answer is 10,008 characters long; the limit is 10,000."),
    ],
)
def test_unusable_answers_are_invalid(response, message):
    """Empty, non-text and over-long answers are invalid with a message, and do not use up an attempt."""
    result = grade(SMALL, response)
    assert result.verdict == Verdict.INVALID
    assert result.feedback == [message]
    assert not result.counts_as_attempt


def test_an_answer_of_exactly_the_limit_is_graded():
    """10,000 characters is allowed."""
    text = ("profile " * 1250)[:10_000]
    assert len(text) == 10_000
    assert grade(SMALL, text).verdict != Verdict.INVALID


def test_equal_specs_share_one_compiled_rubric():
    """A rubric is compiled once per distinct spec, whatever the dict's identity or key order."""
    reordered = dict(reversed(list(P99.items())))
    assert compile_spec(P99) is compile_spec(reordered)
    assert compile_spec(P99) is not compile_spec(DEBUG)


def test_a_memo_cleared_by_another_request_does_not_break_grading(monkeypatch):
    """Spelling matches are used as computed, not read back from the shared memo that a concurrent
    request may clear at that very moment."""
    from quizsite.questions.grading import matcher

    remember = matcher.Vocabulary._remember

    def remember_then_cleared(self, new):
        results = remember(self, new)
        self._memo.clear()  # what another thread may do right now
        return results

    monkeypatch.setattr(matcher.Vocabulary, "_remember", remember_then_cleared)
    result = grade(SMALL, "Profilling it, then qwertyuiop.")
    assert "internal_error" not in result.details
    assert [c["id"] for c in result.concepts_found] == ["profile"]


ACRONYMS = {
    "type": "rubric",
    "model_answer": "Set an SLO on P99.9 and alert on the burn rate.",
    "concepts": [
        {"id": "slo", "label": "SLO", "phrasings": ["slo"]},
        {"id": "p999", "label": "P99.9", "phrasings": ["p99.9"]},
    ],
}


@pytest.mark.parametrize(
    "text, concepts",
    [
        ("We write SLOs for each service.", {"slo"}),
        ("Our P99.9 is 2 s. Next we look at P50.", {"p999"}),
        ("the p 99.9 latency", {"p999"}),
        ("a p999 of 300 ms", {"p999"}),
        ("P99 and P9 and the 99th percentile", set()),
    ],
)
def test_plural_acronyms_and_decimal_percentiles_match(text, concepts):
    """"SLOs" is the plural of "slo", and "P99.9" is one token, not "P99" and a sentence end."""
    assert found(text, ACRONYMS) == concepts

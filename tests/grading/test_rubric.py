"""Free-text answers graded against rubrics: quality on two interview questions, then each matching rule
(order and gaps, normalisation, typos, numbers, negation, scoring, feedback, unusable input)."""

import pytest
from grading_fixtures import ANSWERS, DEBUG, P99

from quizsite.questions.grading import Verdict, grade
from quizsite.questions.grading.engine import compile_spec

RUBRICS = {"p99": P99, "debug": DEBUG}


def answers(kind: str) -> list[tuple[str, str]]:
    return [(name, text) for name in RUBRICS for text in ANSWERS[name].get(kind, [])]


def wrong(i: int) -> dict:
    return {"id": f"wrong-{i}", "label": f"Wrong {i}", "claims": [f"wrongclaim{i} number{i}"], "correction": f"Right {i}."}


def strict(model_answer: str, *concepts: dict, misconceptions: list[dict] | None = None, **extra) -> dict:
    """A strict rubric around these concepts; the first is the gate unless one is marked."""
    concepts = [dict(c) for c in concepts]
    if not any(c.get("gate") for c in concepts):
        concepts[0]["gate"] = True
    for c in concepts:
        if c.get("gate"):
            c.setdefault("follow_up", f"What about {c['label']}?")
    return {
        "type": "rubric",
        "model_answer": model_answer,
        "concepts": concepts,
        "misconceptions": misconceptions or [wrong(1), wrong(2), wrong(3)],
        **extra,
    }


@pytest.mark.parametrize(("rubric", "text"), answers("strong"))
def test_strong_answers_score_at_least_0_9(rubric, text):
    """An answer covering every concept, in the words of the model answer or close to them, is correct."""
    result = grade(RUBRICS[rubric], text)
    assert result.score >= 0.9, result.feedback
    assert result.verdict == Verdict.CORRECT


@pytest.mark.parametrize(("rubric", "text"), answers("paraphrased"))
def test_paraphrased_answers_with_typos_score_at_least_0_7(rubric, text):
    """Different words, number words and typos ("latncy", "profilling", "cahce") still earn the concepts."""
    result = grade(RUBRICS[rubric], text)
    assert result.score >= 0.7, result.feedback
    assert result.verdict == Verdict.CORRECT


@pytest.mark.parametrize(("rubric", "text"), answers("partial"))
def test_partial_answers_land_partial(rubric, text):
    """Two of four or five concepts is partial credit (a missed core point caps it at 0.4)."""
    result = grade(RUBRICS[rubric], text)
    assert result.verdict == Verdict.PARTIAL, result.feedback
    assert 0.35 <= result.score < 0.7


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
    """A concept mentioned only to be dismissed is missed, and the feedback quotes the learner saying so."""
    text = "Don't bother profiling the service or checking the database; just add more servers."
    result = grade(DEBUG, text)
    negated = {c["id"]: c.get("negated") for c in result.concepts_missed}
    assert negated["profile"] == "profiling the service"
    assert negated["io"] == "checking the database"
    assert (
        "✗ Profile the code under load (flame graph) (a core point) — you said “profiling the service”, which "
        "negates or reverses it — Profile under load and read a flame graph to see where the time goes."
        in result.feedback
    )
    assert [m["id"] for m in result.misconceptions] == ["hardware-first"]


def test_model_answers_score_full_marks():
    """Each rubric's own model answer is correct with every concept found."""
    for spec in RUBRICS.values():
        result = grade(spec, spec["model_answer"])
        assert (result.score, result.verdict, result.concepts_missed) == (1.0, Verdict.CORRECT, [])


def test_expected_is_the_model_answer():
    """The expected answer shown after grading is the model answer."""
    assert grade(P99, "anything at all").expected == P99["model_answer"].strip()


SMALL = strict(
    "Check CPU usage, profile the code with a flame graph, and add a cache.",
    {"id": "cpu", "label": "Check CPU usage", "claims": ["check cpu usage"], "feedback": "Look at CPU."},
    {"id": "profile", "label": "Profile", "claims": ["profile (the)? code", "flame graph"], "feedback": "Profile it."},
    {"id": "cache", "label": "Cache", "claims": ["add (a)? cache"]},
    {"id": "latency", "label": "Latency", "claims": ["latency percentile"]},
)


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
def test_claim_words_in_order_within_two_extra_words_match(text):
    """A claim matches when its words appear in order with at most two other words between two of them."""
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
def test_claim_words_too_far_apart_out_of_order_or_across_sentences_do_not_match(text):
    """Words more than two apart, out of order, missing, or in different sentences do not match."""
    assert "cpu" not in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("add caches", "cache"),
        ("adding caching", "cache"),
        ("added a cache", "cache"),
        ("profiling the code", "profile"),
        ("profiled the code", "profile"),
        ("profiles the code", "profile"),
        ("flame graphs", "profile"),
        ("flame-graph", "profile"),
        ("flamegraph", "profile"),
        ("add a CACHÉ", "cache"),
        ("add a ｃａｃｈｅ", "cache"),
        ("latencies percentiles", "latency"),
    ],
)
def test_normalisation_and_stemming(text, concept):
    """Plurals, -ing and -ed, case, accents, full-width letters and hyphens do not matter."""
    assert concept in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("profilling the code", "profile"),
        ("add a cahce", "cache"),
        ("latncy percentile", "latency"),
        ("latency percentle", "latency"),
        ("flame grahp", "profile"),
        ("proflie the code", "profile"),
    ],
)
def test_typos_in_long_words_are_tolerated(text, concept):
    """Words of five letters or more match with a typo or a swapped pair of letters."""
    assert concept in found(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("check cpv usage", "cpu"),
        ("add a catch", "cache"),
        ("latent percentile", "latency"),
        ("prof the code", "profile"),
        ("fame graph", "profile"),
    ],
)
def test_short_words_and_different_words_need_exact_spelling(text, concept):
    """Words under five letters must be exact, and a different real word is not a typo."""
    assert concept not in found(text)


NUMBERS = strict(
    "The P99 latency; 1% of 1M users is 10,000 users, 1% of requests; i/o and db.",
    {"id": "ten-thousand", "label": "10,000 users", "claims": ["10000 users"]},
    {"id": "percentile", "label": "99th percentile latency", "claims": ["p99 latency"]},
    {"id": "one-in-100", "label": "1 in 100", "claims": ["1% (of)? requests"]},
    {"id": "percent", "label": "1% of 1M", "claims": ["1% of 1000000"]},
    {"id": "io", "label": "I/O and database", "claims": ["io database"]},
)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("10,000 users", "ten-thousand"),
        ("10000 users", "ten-thousand"),
        ("10k users", "ten-thousand"),
        ("ten thousand users", "ten-thousand"),
        ("10 thousand users", "ten-thousand"),
        ("ninety-ninth percentile latency", "percentile"),
        ("ninety ninth percentile latency", "percentile"),
        ("P 99 latency", "percentile"),
        ("p-99 latency", "percentile"),
        ("one in a hundred requests", "one-in-100"),
        ("1 in every 100 requests", "one-in-100"),
        ("one request in a hundred", "one-in-100"),
        ("a hundredth of the requests", "one-in-100"),
        ("1 percent of a million", "percent"),
        ("one percent of 1,000,000", "percent"),
        ("1 % of 1M", "percent"),
        ("I/O and DB", "io"),
        ("i/o, the database", "io"),
    ],
)
def test_numbers_and_abbreviations_have_one_form(text, concept):
    """10,000 / 10k / ten thousand, percent / %, ratios, number words, I/O and db are written many ways."""
    assert concept in found(text, NUMBERS)


NEGATION = strict("Profile the code.", {"id": "profile", "label": "Profile", "claims": ["profile (the)? code", "flame graph"]})


@pytest.mark.parametrize(
    "text",
    [
        "Don't profile the code.",
        "don’t bother profiling the code",
        "Do not profile the code",
        "never profile the code in production",
        "No profiling the code needed",
        "There is no need to profile the code",
        "I wouldn't bother profiling the code",
        "without profiling the code",
        "avoid profiling the code",
        "instead of profiling the code, guess",
        "skip the flame graph",
        "profiling the code is pointless",
        "profiling the code won't help here",
        "profiling the code is not needed",
        "Don't guess or profile the code",
        "I would rather not profile the code",
        "I wouldn't just profile the code.",
        "The flame graph does not help.",
    ],
)
def test_negated_mentions_earn_no_credit(text):
    """A negator in scope before a claim, inside it, or "is pointless" after it cancels the concept."""
    result = grade(NEGATION, text)
    assert result.score == 0
    assert result.concepts_missed[0].get("negated")


@pytest.mark.parametrize(
    "text",
    [
        "Profile the code.",
        "You can't fix it without profiling the code.",
        "Don't guess, profile the code.",
        "Don't guess; profile the code.",
        "Avoid guessing and profile the code.",
        "No, I'd profile the code first.",
        "Not only profile the code but also trace.",
        "There's no doubt: profile the code.",
        "It isn't slow because of the network, so profile the code.",
        "I won't scale up before I profile the code.",
        "Never guess. Profile the code.",
        "Don't guess, profile the code instead.",
    ],
)
def test_negation_stops_at_clause_boundaries_and_double_negatives(text):
    """Punctuation and words like "but", "so", "before" end a negation; "can't ... without" is affirmative;
    "not only X but" keeps X."""
    assert grade(NEGATION, text).score == 1.0


def test_a_plain_mention_wins_over_a_negated_one():
    """A concept negated once and stated plainly elsewhere counts."""
    assert grade(NEGATION, "Don't guess from the flame graph alone. Profile the code under load.").score == 1.0


WEIGHTED = strict(
    "Measure the latency, then add a cache.",
    {"id": "measure", "label": "Measure", "weight": 3, "claims": ["measure (the)? latency"]},
    {"id": "cache", "label": "Cache", "weight": 1, "claims": ["add (a)? cache"], "feedback": "Cache the calls."},
    misconceptions=[
        {"id": "guess", "label": "Guessing is not measuring", "claims": ["just guess (the)? cause"],
         "correction": "Measure."},
        {"id": "reboot", "label": "Rebooting fixes nothing", "claims": ["reboot (the)? box"],
         "correction": "Find the cause."},
        wrong(3),
    ],
)


@pytest.mark.parametrize(
    ("text", "score", "verdict"),
    [
        ("measure the latency and add a cache", 1.0, Verdict.CORRECT),
        ("measure the latency", 0.75, Verdict.CORRECT),  # 3 / 4
        ("add a cache", 0.25, Verdict.INCORRECT),  # 1 / 4, and the gate is missed (cap 0.4)
        ("measure the latency and add a cache, then reboot the box", 0.3, Verdict.INCORRECT),  # capped
        ("measure the latency. Then just guess the cause", 0.3, Verdict.INCORRECT),
        ("add a cache and reboot the box", 0.25, Verdict.INCORRECT),
    ],
)
def test_score_is_found_weight_over_total_capped_by_gates_and_misconceptions(text, score, verdict):
    """Score = found weight / total weight, capped at 0.4 without every gate and at 0.3 with a misconception."""
    result = grade(WEIGHTED, text)
    assert result.score == pytest.approx(score)
    assert result.verdict == verdict


def test_a_missed_gate_caps_at_0_4_whatever_else_is_said():
    spec = strict(
        "Measure the latency and add a cache.",
        {"id": "measure", "label": "Measure", "weight": 1, "claims": ["measure (the)? latency"]},
        {"id": "cache", "label": "Cache", "weight": 9, "claims": ["add (a)? cache"]},
    )
    result = grade(spec, "add a cache")
    assert (result.score, result.verdict, result.label) == (0.4, Verdict.PARTIAL, "Partly right")


def test_thresholds_can_be_set_per_question():
    """With thresholds correct 0.8 / partial 0.2, 0.75 is partial and 0.25 is partial."""
    spec = {**WEIGHTED, "thresholds": {"correct": 0.8, "partial": 0.2}}
    assert grade(spec, "measure the latency").verdict == Verdict.PARTIAL
    assert grade(spec, "add a cache").verdict == Verdict.PARTIAL


def test_feedback_lists_every_concept_and_misconception():
    """Found concepts quote the learner; missed ones give the author's feedback; a misconception is quoted
    and corrected, and the caps are said."""
    result = grade(WEIGHTED, "First measure the LATENCY everywhere, then reboot the box.")
    assert result.feedback == [
        "Not yet: you covered 1 of 2 key points.",
        "✓ Measure — you said “measure the LATENCY”",
        "✗ Cache — Cache the calls.",
        "⚠ You said “reboot the box”: Rebooting fixes nothing. Find the cause.",
        "A wrong claim caps the score at 30%.",
    ]
    assert result.concepts_found == [
        {"id": "measure", "label": "Measure", "weight": 3.0, "gate": True, "matched": "measure the LATENCY"}
    ]
    assert result.concepts_missed == [
        {"id": "cache", "label": "Cache", "weight": 1.0, "feedback": "Cache the calls.", "gate": False,
         "follow_up": None}
    ]
    assert result.misconceptions == [
        {"id": "reboot", "label": "Rebooting fixes nothing", "matched": "reboot the box",
         "correction": "Find the cause.", "feedback": "Find the cause."}
    ]
    assert result.details == {
        "found_weight": 3.0, "total_weight": 4.0, "words": 7, "gates_missed": [],
        "echoed_words": 0,
    }


def test_quotes_keep_the_learners_words_between():
    """The quote covers the matched span in the learner's own characters, extra words included."""
    result = grade(SMALL, "I would check the current CPU usage first.")
    assert result.concepts_found[0]["matched"] == "check the current CPU usage"


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
    text = ("profile the code. " * 600)[:10_000]
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
    result = grade(SMALL, "Profilling the code, then qwertyuiop.")
    assert "internal_error" not in result.details
    assert [c["id"] for c in result.concepts_found] == ["profile"]


ACRONYMS = strict(
    "Set an SLO per service on P99.9 latency.",
    {"id": "slo", "label": "SLO", "claims": ["slo (for|per) (each)? service"]},
    {"id": "p999", "label": "P99.9", "claims": ["p99.9 latency", "p99.9 (is|of) ... (ms|s)"]},
)


@pytest.mark.parametrize(
    "text, concepts",
    [
        ("We write SLOs for each service.", {"slo"}),
        ("Our P99.9 is 2 s. Next we look at P50.", {"p999"}),
        ("the p 99.9 latency", {"p999"}),
        ("a p999 of 300 ms", {"p999"}),
        ("the ninety-nine point nine percentile latency", set()),
        ("P99 and P9 and the 99th percentile latency", set()),
    ],
)
def test_plural_acronyms_and_decimal_percentiles_match(text, concepts):
    """ "SLOs" is the plural of "slo", and "P99.9" is one token, not "P99" and a sentence end."""
    assert found(text, ACRONYMS) == concepts


def test_a_spec_edited_in_place_is_compiled_again():
    """The fast lookup of a spec seen before confirms it is still equal, so a dict edited in place (same
    model answer, other claims) is not served the old compiled form."""
    spec = strict("Profile the code.", {"id": "profile", "label": "Profile",
                                        "claims": ["profile (the)? code", "flame graph"]})
    assert grade(spec, "Read the flame graph.").score == 1.0
    spec["concepts"][0]["claims"] = ["profile (the)? code"]
    assert grade(spec, "Read the flame graph.").score == 0.0

"""The strict rubric format: claims not keywords, numbers in words, direction and negation read in scope,
gates and misconceptions that cap, no credit for echo or salad, honest verdicts quoting the learner."""

import pytest

from quizsite.questions.corpus import rubric_specs
from quizsite.questions.grading import SpecError, Verdict, grade, grade_concept, validate_spec
from quizsite.questions.grading.matcher import ClaimError, parse_claim
from quizsite.questions.grading.text import tokenize

SPECS = rubric_specs()
P99 = SPECS["what-is-p99"]
BREAKER = SPECS["circuit-breaker-explain"]
CATCH = SPECS["locust-catch-response"]


def misconception(i: int, *claims: str) -> dict:
    return {"id": f"m{i}", "label": f"wrong {i}", "claims": list(claims), "correction": f"right {i}"}


def spec(**changes) -> dict:
    """A small strict rubric: Little's law as the gate, plus one supporting concept."""
    base = {
        "type": "rubric",
        "prompt": "What does Little's law say about a service?",
        "model_answer": "Concurrency = throughput * latency, so requests in flight grow when latency grows.",
        "concepts": [
            {
                "id": "law",
                "label": "Concurrency = throughput x latency",
                "gate": True,
                "weight": 2,
                "claims": ["(concurrency|in flight|l) = (throughput|λ|arrival rate) * (latency|w|time)"],
                "follow_up": "How do concurrency, throughput and latency relate?",
            },
            {
                "id": "grows",
                "label": "In-flight requests grow with latency",
                "claims": ["(in flight|concurrency) (grow|grows|rise|rises|increase|increases) ... latency"],
            },
        ],
        "misconceptions": [
            misconception(1, "(concurrency|in flight) = (throughput|λ) / (latency|w)"),
            misconception(2, "(concurrency|in flight) (shrink|shrinks|fall|falls|decrease|decreases) ... latency (grows|rises|increases)"),
            misconception(3, "(throughput|λ) = (concurrency|l) * (latency|w)"),
        ],
    }
    base.update(changes)
    return base


# ---- numbers, code and direction ----


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("ninety-nine out of every hundred", "99%"),
        ("one in a hundred", "1%"),
        ("a hundredth", "1%"),
        ("1 out of 100", "1%"),
        ("99 percent", "99%"),
        ("99 per cent", "99%"),
        ("the 99th percentile", "p99"),
        ("the ninety-ninth percentile", "p99"),
        ("P 99", "p99"),
        ("p999", "p99.9"),
        ("ten thousand", "10000"),
        ("10,000", "10000"),
        ("10k", "10000"),
        ("a million", "1000000"),
    ],
)
def test_numbers_in_words_reach_one_canonical_form(text, canonical):
    """Spelled-out numbers, ratios and percentiles all become the same token that claims target."""
    assert canonical in tokenize(text).words


def test_code_is_kept_as_code():
    """catch_response=True, @task, on_start, response.failure and json= stay code, not the words task/json."""
    tokens = tokenize('@task\ndef t(self):\n  self.client.post("/predict", json=payload, catch_response=True)')
    assert "@task" in tokens.words and "catch_response" in tokens.words and "self.client.post" in tokens.words
    assert "task" not in tokens.words
    json_at = tokens.words.index("json")
    assert tokens.words[json_at + 1] == "="


def test_the_p99_examples_of_the_issue():
    """ "The value that ninety-nine out of every hundred requests beat" is credited; the average of the
    slowest 1% and "the typical latency" are misconceptions capped at 0.3."""
    credited = grade(P99, "It's the value that ninety-nine out of every hundred requests beat.")
    assert "percentile" in {c["id"] for c in credited.concepts_found}
    for wrong in ("P99 is the average latency of the slowest 1%",
                  "99% of requests take about that long, the typical latency"):
        result = grade(P99, wrong)
        assert result.score <= 0.3 and result.misconceptions, (wrong, result.feedback)


def test_a_negator_inside_a_match_negates_it():
    """ "The average does not hide the tail" is not "the average hides the tail"."""
    result = grade(P99, "P99 is the 99th percentile of latency. The average does not hide the tail.")
    missed = {c["id"]: c for c in result.concepts_missed}
    assert "tail-over-average" in missed
    assert missed["tail-over-average"]["negated"] == "average does not hide the tail"
    assert result.score <= 0.4


def test_inverted_circuit_breaker_states_fail():
    """Open lets everything through, closed blocks traffic: inverted states, at most 0.3, named and corrected."""
    result = grade(BREAKER, "Above a threshold it opens and lets all requests through; when closed it blocks traffic.")
    assert result.score <= 0.3
    assert result.verdict != Verdict.CORRECT
    wrong = result.misconceptions[0]
    assert wrong["id"] == "inverted-states" and wrong["matched"].startswith("opens and lets all requests")
    assert any("Closed is the normal state" in line for line in result.feedback)


def test_catch_response_does_not_parse_json_for_you():
    """ "Set catch_response=True and Locust parses the JSON for you" is the classic tool misconception."""
    result = grade(CATCH, "Set catch_response=True and Locust parses the JSON for you, you don't need to call anything else.")
    assert result.score <= 0.3
    assert "locust-parses-json" in {m["id"] for m in result.misconceptions}


def test_formula_direction_is_part_of_the_claim():
    """concurrency = throughput x latency is Little's law; divided by latency is the wrong formula."""
    right = grade(spec(), "By Little's law, concurrency = throughput × latency.")
    wrong = grade(spec(), "By Little's law, concurrency = throughput / latency.")
    assert "law" in {c["id"] for c in right.concepts_found}
    assert wrong.score <= 0.3 and wrong.misconceptions[0]["id"] == "m1"


def test_antonyms_are_never_typo_matched():
    """ "decreases" is not a typo of "increases", however close the spelling."""
    result = grade(spec(), "Concurrency = throughput * latency. In flight requests decreases as latency grows.")
    assert "grows" not in {c["id"] for c in result.concepts_found}


def test_typos_in_long_words_are_forgiven():
    """ "thruoghput" and "latncy" still match throughput and latency."""
    result = grade(spec(), "Concurrency = thruoghput * latncy, and concurrency grows with latency.")
    assert {"law", "grows"} <= {c["id"] for c in result.concepts_found}


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("I wouldn't just add more servers.", False),
        ("Instead of adding more servers, profile first.", False),
        ("Profile rather than add more servers.", False),
        ("Not only add more servers but also profile.", True),
        ("Never add more servers blindly.", False),
        ("Add more servers.", True),
        ("I won't guess; add more servers once profiling shows CPU is the limit.", True),
    ],
)
def test_negation_is_read_in_scope(text, credited):
    """ "I wouldn't just", "instead of", "rather than", "never" negate; "not only X but" keeps X."""
    rubric = spec(concepts=[
        {"id": "law", "label": "law", "gate": True, "follow_up": "?", "claims": ["(add|adding) more servers"]},
    ], model_answer="Add more servers.", misconceptions=[misconception(i, f"wrong{i} claim{i}") for i in range(3)])
    found = bool(grade(rubric, text).concepts_found)
    assert found is credited


# ---- gates, misconceptions, verdicts ----


def test_a_missed_gate_caps_the_score_at_0_4():
    """Everything but the core point is at most 0.4 and never Correct."""
    rubric = spec(concepts=[
        *spec()["concepts"],
        {"id": "x1", "label": "x1", "weight": 6, "claims": ["queue builds up"]},
    ], model_answer="Concurrency = throughput * latency, concurrency grows with latency and the queue builds up.")
    result = grade(rubric, "The queue builds up and concurrency grows as latency rises.")
    assert result.score == 0.4
    assert result.verdict != Verdict.CORRECT
    assert result.concepts_missed[0]["gate"] is True
    assert result.concepts_missed[0]["follow_up"] == "How do concurrency, throughput and latency relate?"


def test_verdict_labels():
    """Correct needs every gate and no misconception; below it Mostly right, Partly right, Not yet."""
    full = grade(spec(), "Concurrency = throughput * latency, so concurrency grows when latency grows.")
    assert (full.verdict, full.label) == (Verdict.CORRECT, "Correct")
    gate_only = grade(spec(), "Concurrency = throughput * latency.")
    assert gate_only.score == pytest.approx(2 / 3, abs=0.001)
    assert (gate_only.verdict, gate_only.label) == (Verdict.PARTIAL, "Mostly right")
    nothing = grade(spec(), "It is about queues and servers in general.")
    assert (nothing.verdict, nothing.label) == (Verdict.INCORRECT, "Not yet")


def test_evidence_quotes_the_learners_own_characters():
    """The quote is the learner's text as typed (case, symbols, spacing), not the rubric's phrasing."""
    result = grade(spec(), "So:  Concurrency  =  Throughput × Latency!")
    assert result.concepts_found[0]["matched"] == "Concurrency  =  Throughput × Latency"


def test_misconception_words_are_not_evidence_for_a_concept():
    """The words of a stated misconception never also count for a concept."""
    result = grade(P99, "P99 is the average latency of the slowest 1%.")
    assert result.concepts_found == [] and result.score == 0


# ---- echo and salad ----


def test_the_prompt_pasted_back_earns_nothing():
    """Words copied in runs from the prompt are not evidence."""
    for rubric in (P99, BREAKER, CATCH):
        result = grade(rubric, rubric["prompt"])
        assert result.score < 0.3


def test_a_keyword_salad_earns_nothing_with_a_message():
    """A bag of concept words without sentences scores 0 and asks for sentences."""
    result = grade(P99, "99th percentile 1 in 100 average hides 1M 10,000 tail")
    assert result.score == 0 and result.details["salad"] is True
    assert "sentences" in result.feedback[0]


def test_terse_and_bullet_answers_are_not_salad():
    """A terse expert answer and short bullet notes with verbs are graded normally."""
    terse = grade(P99, "P99 = the latency 99% of requests beat; 1% are slower. The mean hides that tail, and at 1M requests/day that's 10k slow ones.")
    bullets = grade(P99, "- P99: 99th percentile latency\n- 1 in 100 requests is slower\n- the average hides the tail\n- 1M req/day -> 10,000 slow requests")
    assert terse.score >= 0.7 and bullets.score >= 0.7


# ---- grade_concept, for interview follow-ups ----


def test_grade_concept_grades_one_concept_alone():
    """A follow-up answer is correct when it states the concept, whatever else the rubric has."""
    result = grade_concept(BREAKER, "open-fails-fast", "While it's open, calls fail fast without hitting the dependency.")
    assert result.verdict == Verdict.CORRECT and result.score == 1.0
    missed = grade_concept(BREAKER, "open-fails-fast", "It counts the failures.")
    assert missed.verdict == Verdict.INCORRECT and missed.score == 0.0


def test_grade_concept_still_caps_and_names_misconceptions():
    """A follow-up answer that also states a misconception is capped at 0.3 and the feedback names it."""
    result = grade_concept(
        BREAKER, "open-fails-fast",
        "When it trips it fails fast. Closed means it blocks all the traffic.",
    )
    assert result.score == 0.3 and result.verdict != Verdict.CORRECT
    assert result.misconceptions[0]["id"] == "inverted-states"


def test_grade_concept_refuses_an_unknown_concept():
    with pytest.raises(SpecError):
        grade_concept(BREAKER, "no-such-concept", "anything")


# ---- the loader's strict rules ----


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("closed", "lone word 'closed'"),
        ("the queue", "lone word 'queue'"),
        ("(cache|cache hit)", "lone word 'cache'"),
        ("(is|are)", "no content word"),
        ("(a|(b))", "nested"),
    ],
)
def test_lone_common_words_are_refused(claim, message):
    with pytest.raises(ClaimError, match=message.replace("(", r"\(")):
        parse_claim(claim)


@pytest.mark.parametrize("claim", ["catch_response=True", "@task", "on_start", "json=", "between(1, 2)", ".failure(", "half-open"])
def test_one_piece_of_code_is_a_claim(claim):
    assert parse_claim(claim)


def test_strict_rules_report_every_error_at_once():
    """No gate, a gate without follow_up, too few misconceptions, a misconception without correction, a
    lone word, phrasings and penalty in a strict rubric: all reported, each with its field."""
    broken = spec(
        concepts=[
            {"id": "law", "label": "law", "claims": ["closed"], "phrasings": ["x y"]},
            {"id": "g", "label": "g", "gate": True, "claims": ["concurrency = throughput * latency"]},
        ],
        misconceptions=[{"id": "m", "label": "m", "claims": ["throughput / latency"], "penalty": 0.2}],
    )
    errors = validate_spec(broken)
    joined = "\n".join(errors)
    for expected in (
        "concepts[0].phrasings: unknown field",
        "concepts[0].claims[0]: 'closed'",
        "concepts[1].follow_up: required",
        "misconceptions[0].penalty: unknown field",
        "misconceptions[0].correction: required",
        "misconceptions: needs at least 3",
    ):
        assert expected in joined, joined
    no_gate = spec(concepts=[{"id": "law", "label": "law", "claims": ["concurrency = throughput * latency"]}])
    assert "concepts: mark at least one concept `gate: true`" in "\n".join(validate_spec(no_gate))


def test_model_answer_must_be_correct_and_the_prompt_must_not_pass():
    errors = validate_spec(spec(model_answer="Throughput matters."))
    assert any(e.startswith("model_answer: scores 0.00") for e in errors), errors
    echo = spec(prompt="Concurrency grows: latency?")  # too short to be blocked as copied runs
    assert any(e.startswith("prompt: pasting the prompt back scores") for e in validate_spec(echo))


def test_code_lines_are_statements_and_a_decorator_belongs_to_its_def():
    """In a code block each line is its own statement (no claim spans two lines), except that a decorator
    reads with the def below it, so "@task(3) on cart" can be told from "@task(3) on browse"."""
    tokens = tokenize("```python\n@task(3)\ndef browse(self):\n    pass\n@task(1)\ndef cart(self):\n```")
    sentence = dict(zip(tokens.words, tokens.sentences))
    at = tokens.words.index("browse")
    assert tokens.sentences[at] == tokens.sentences[tokens.words.index("3")]
    assert sentence["cart"] != tokens.sentences[at]
    assert sentence["pass"] != tokens.sentences[at]


def test_an_adverb_between_the_verb_and_not_still_negates():
    """ "A weighted average of the P99s is still not the fleet's P99" does not state the weighted average."""
    tokens = tokenize("A weighted average of the P99s is still not the fleet P99.")
    assert tokens.negated_after[tokens.words.index("p99")]  # "P99s" is the plural of p99


def test_tool_names_as_written_are_specific_on_their_own():
    """HdrHistogram, cProfile, wrk2, DDSketch name a tool; SLOs or cache do not."""
    for claim in ("HdrHistogram", "cProfile", "wrk2", "DDSketch", "LoadTestShape"):
        assert parse_claim(claim)
    for claim in ("SLOs", "Cache"):
        with pytest.raises(ClaimError):
            parse_claim(claim)


def test_an_alternative_with_nothing_to_match_is_refused_unless_the_group_is_optional():
    with pytest.raises(ClaimError, match="the alternative 'a' has no word to match"):
        parse_claim("(users|user) (a|arent) rps")
    assert parse_claim("(users|user) (a|arent)? rps")
    assert tokenize("users ≠ rps").words == ("users", "!=", "rps")


def test_a_number_with_its_unit_is_not_an_echo_run():
    """Repeating the prompt's "1,000 req/s" target is two words, not a copied run of four."""
    rubric = spec(prompt="Check a target of 1,000 req/s for the service.", concepts=[
        {"id": "law", "label": "law", "gate": True, "follow_up": "?", "claims": ["fewer than 1000 request"]},
    ], model_answer="Far fewer than 1,000 requests.")
    assert grade(rubric, "1,000 users make far fewer than 1,000 req/s.").concepts_found


def test_a_negation_in_an_if_clause_stops_at_the_main_clause():
    """ "if the key is not there it fetches from the database": the fetch is not negated."""
    tokens = tokenize("If the key is not there it fetches from the database.")
    assert not tokens.negated_before[tokens.words.index("fetches")]
    assert tokens.negated_before[tokens.words.index("there")]


def test_a_negator_in_a_parenthesis_the_claim_steps_over_does_not_negate_it():
    """ "delete (not overwrite) the key" states "delete the key"; "do not delete the key" does not."""
    rubric = spec(concepts=[
        {"id": "law", "label": "law", "gate": True, "follow_up": "?", "claims": ["delete ... key"]},
    ], model_answer="Delete the key.")
    assert grade(rubric, "After the commit, delete (not overwrite) the key.").concepts_found
    assert not grade(rubric, "After the commit, do not delete the key.").concepts_found
    assert not grade(rubric, "Delete, or rather do not, the key.").concepts_found


def test_a_short_spoken_formula_is_an_answer_not_salad():
    """A follow-up reply such as "Requests in flight equal throughput times mean latency." is a sentence."""
    result = grade(spec(), "Requests in flight equal throughput times mean latency.")
    assert not result.details.get("salad")


def test_a_quote_is_one_line_without_markdown_backticks():
    """Evidence is shown inline: a quote spanning lines of a code block is one line, and a code span cut in
    half leaves no stray backtick."""
    tokens = tokenize("Add `@task` to the\n    method `load_test`.")
    assert tokens.quote(0, len(tokens) - 1) == "Add @task to the method load_test"

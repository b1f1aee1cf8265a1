"""Free-text questions graded against a rubric: weighted concepts, each a set of claims, some of them gates,
and misconceptions that cap the score.

Score = weight of the concepts found / total weight, then capped: at GATE_CAP when a gate concept is missed,
at MISCONCEPTION_CAP when a misconception is stated. A concept is found when one of its claims appears in
the answer, within one sentence, not negated, and not copied from the question's prompt. An answer that is a
bag of keywords without sentences earns nothing. "Correct" needs every gate, no misconception and a score
at or above the correct threshold.

The format and its rules are in content/README.md; validate() enforces them, naming every broken field.
"""

from dataclasses import dataclass
from typing import Any

from quizsite.questions.grading import checks
from quizsite.questions.grading.errors import SpecError
from quizsite.questions.grading.matcher import (
    Claim,
    ClaimError,
    Occurrence,
    Positions,
    Vocabulary,
    compile_claim,
)
from quizsite.questions.grading.result import Grade, Verdict
from quizsite.questions.grading.text import FUNCTION_WORDS, Tokens, tokenize

MAX_ANSWER_CHARS = 10_000
MAX_CLAIM_CHARS = 400
DEFAULT_WEIGHT = 1.0
GATE_CAP = 0.4
MISCONCEPTION_CAP = 0.3
MIN_MISCONCEPTIONS = 3
MAX_PROMPT_ECHO = 0.3
DEFAULT_THRESHOLDS = {"correct": 0.7, "partial": 0.35}
MOSTLY_RIGHT = 0.55
ECHO_RUN = 4  # a run of this many tokens copied from the prompt earns nothing
# A bag of keywords: at least SALAD_MIN_CONTENT content tokens, function words under SALAD_MAX_FUNCTION of
# all words, and at least SALAD_SHARE of the content in runs of SALAD_RUN content tokens or more with no
# function word and no note punctuation (, : ; new line) between them. Chosen on the corpus (51 salads,
# 408 strong/partial/wrong answers incl. 51 note-style bullets): 0 missed, 0 false, and every neighbouring
# setting (run 5-6, share 0.4-0.6, function 0.2-0.25) is also 0/0 - see tests/grading/test_salad.py.
SALAD_GLUE = frozenset({"equal", "equals", "times", "plus", "minus", "divided", "multiplied"})  # spoken maths
SALAD_MIN_CONTENT = 5
SALAD_MAX_FUNCTION = 0.2
SALAD_RUN = 6
SALAD_SHARE = 0.5
CONCEPT_KEYS = {"id", "label", "weight", "gate", "claims", "feedback", "follow_up"}
MISCONCEPTION_KEYS = {"id", "label", "claims", "feedback", "correction"}
OLD_FIELDS = {
    "phrasings": " (phrasings were replaced by claims: see content/README.md)",
    "penalty": " (a stated misconception caps the score at 0.3)",
}


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    weight: float
    feedback: str
    claims: tuple[Claim, ...]
    gate: bool = False
    follow_up: str | None = None


@dataclass(frozen=True)
class Misconception:
    id: str
    label: str
    feedback: str
    claims: tuple[Claim, ...]
    correction: str = ""


@dataclass(frozen=True)
class RubricSpec:
    model_answer: str
    concepts: tuple[Concept, ...]
    misconceptions: tuple[Misconception, ...]
    correct: float
    partial: float
    vocabulary: Vocabulary
    prompt: str = ""
    prompt_grams: frozenset[tuple[str, ...]] = frozenset()

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.concepts)

    @property
    def gates(self) -> tuple[Concept, ...]:
        return tuple(c for c in self.concepts if c.gate)

    def concept(self, concept_id: str) -> Concept:
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        raise SpecError([f"concepts: no concept {concept_id!r}"])


# ---- validation ----


def _validate_claims(claims: Any, path: str) -> list[str]:
    if not isinstance(claims, list) or not claims:
        return [f"{path}: must be a non-empty list of claims"]
    errors: list[str] = []
    seen: set[str] = set()
    for index, claim in enumerate(claims):
        where = checks.at(path, index)
        if not isinstance(claim, str) or not claim.strip():
            errors.append(f"{where}: must be non-empty text")
            continue
        if len(claim) > MAX_CLAIM_CHARS:
            errors.append(f"{where}: too long ({len(claim)} characters); keep a claim to a short phrase")
            continue
        try:
            compile_claim(claim, Vocabulary())
        except ClaimError as error:
            errors.append(f"{where}: {claim!r} {error}")
        if claim.strip().casefold() in seen:
            errors.append(f"{where}: duplicate claim {claim!r}")
        seen.add(claim.strip().casefold())
    return errors


def _validate_items(spec: dict, key: str, seen: set[str]) -> list[str]:
    concepts = key == "concepts"
    items = spec.get(key)
    if not isinstance(items, list) or (concepts and not items):
        return [f"{key}: must be a list of {key}, each with id, label and claims"]
    allowed = CONCEPT_KEYS if concepts else MISCONCEPTION_KEYS
    errors: list[str] = []
    for index, item in enumerate(items):
        path = checks.at(key, index)
        if not isinstance(item, dict):
            errors.append(f"{path}: must be a mapping with id, label and claims")
            continue
        for field in item:
            if field not in allowed:
                errors.append(f"{checks.at(path, str(field))}: unknown field{OLD_FIELDS.get(field, '')}")
        errors += checks.text(item, "id", path) + checks.text(item, "label", path)
        if isinstance(item.get("id"), str):
            if item["id"] in seen:
                errors.append(f"{path}.id: duplicate id {item['id']!r}")
            seen.add(item["id"])
        errors += checks.text(item, "feedback", path, required=False)
        if concepts:
            errors += checks.number(item, "weight", path, required=False, above=0)
            if "gate" in item and not isinstance(item["gate"], bool):
                errors.append(f"{path}.gate: must be true or false")
            errors += checks.text(item, "follow_up", path, required=item.get("gate") is True)
        else:
            errors += checks.text(item, "correction", path)
        errors += _validate_claims(item.get("claims"), checks.at(path, "claims"))
    if concepts and not any(isinstance(i, dict) and i.get("gate") is True for i in items):
        errors.append("concepts: mark at least one concept `gate: true` (the core point of the answer)")
    if not concepts and len(items) < MIN_MISCONCEPTIONS:
        errors.append(
            f"misconceptions: needs at least {MIN_MISCONCEPTIONS} (the inverted definition, the swapped "
            f"roles or direction, the classic wrong formula or tool claim), found {len(items)}"
        )
    return errors


def _validate_thresholds(spec: dict) -> list[str]:
    thresholds = spec.get("thresholds")
    if thresholds is None:
        return []
    if not isinstance(thresholds, dict):
        return ["thresholds: must be a mapping such as {correct: 0.7, partial: 0.35}"]
    errors = checks.unknown_keys(thresholds, set(DEFAULT_THRESHOLDS), "thresholds")
    errors += checks.number(thresholds, "correct", "thresholds", required=False, above=0, maximum=1)
    errors += checks.number(thresholds, "partial", "thresholds", required=False, minimum=0, maximum=1)
    if not errors:
        values = {**DEFAULT_THRESHOLDS, **thresholds}
        if values["partial"] >= values["correct"]:
            errors.append(f"thresholds.partial: must be below correct ({values['correct']})")
    return errors


def validate(spec: dict) -> list[str]:
    seen: set[str] = set()
    errors = checks.text(spec, "model_answer", "")
    errors += checks.text(spec, "prompt", "", required=False)
    errors += _validate_items(spec, "concepts", seen)
    errors += _validate_items(spec, "misconceptions", seen)
    errors += _validate_thresholds(spec)
    if errors:
        return errors
    rubric = compile(spec)
    model = grade(rubric, rubric.model_answer)
    if model.verdict != Verdict.CORRECT:
        missed = ", ".join(repr(c["id"]) for c in model.concepts_missed)
        stated = ", ".join(repr(m["id"]) for m in model.misconceptions)
        why = f"missed {missed or 'none'}" + (f"; states misconception {stated}" if stated else "")
        errors.append(
            f"model_answer: scores {model.score:.2f} ({model.label}) against its own rubric ({why}); "
            "add claims that match it"
        )
    if rubric.prompt:
        echo = grade(rubric, rubric.prompt)
        if echo.score >= MAX_PROMPT_ECHO:
            found = ", ".join(repr(c["id"]) for c in echo.concepts_found)
            errors.append(
                f"prompt: pasting the prompt back scores {echo.score:.2f} (found {found}); the claims must "
                "need more than the question's own words"
            )
    return errors


# ---- compiling ----


def _words_of(tokens: Tokens) -> list[int]:
    """Positions of the tokens an echo run counts: operators ("/" in "req/s") are not words."""
    return [i for i, kind in enumerate(tokens.kinds) if kind != "o"]


def _grams(text: str) -> frozenset[tuple[str, ...]]:
    if not text:
        return frozenset()
    tokens = tokenize(text)
    keys = [tokens.keys[i] for i in _words_of(tokens)]
    return frozenset(tuple(keys[i : i + ECHO_RUN]) for i in range(len(keys) - ECHO_RUN + 1))


def compile(spec: dict) -> RubricSpec:
    """The validated spec as a RubricSpec, with every claim compiled into vocabulary ids."""
    vocabulary = Vocabulary()

    def claims(texts: list[str]) -> tuple[Claim, ...]:
        return tuple(compile_claim(text, vocabulary) for text in texts)

    concepts = tuple(
        Concept(
            c["id"],
            c["label"].strip(),
            float(c.get("weight", DEFAULT_WEIGHT)),
            (c.get("feedback") or "").strip(),
            claims(c["claims"]),
            c.get("gate") is True,
            (c.get("follow_up") or "").strip() or None,
        )
        for c in spec["concepts"]
    )
    misconceptions = tuple(
        Misconception(
            m["id"],
            m["label"].strip(),
            (m.get("feedback") or "").strip(),
            claims(m["claims"]),
            (m.get("correction") or "").strip(),
        )
        for m in spec["misconceptions"]
    )
    thresholds = {**DEFAULT_THRESHOLDS, **(spec.get("thresholds") or {})}
    prompt = (spec.get("prompt") or "").strip()
    return RubricSpec(
        spec["model_answer"].strip(),
        concepts,
        misconceptions,
        float(thresholds["correct"]),
        float(thresholds["partial"]),
        vocabulary,
        prompt,
        _grams(prompt),
    )


# ---- grading ----


def _check_text(response: Any) -> str | None:
    """The message for a response that is not a gradable answer, or None."""
    if not isinstance(response, str):
        return "Write your answer as text."
    if len(response) > MAX_ANSWER_CHARS:
        return f"Your answer is {len(response):,} characters long; the limit is {MAX_ANSWER_CHARS:,}."
    if not any(ch.isprintable() and not ch.isspace() for ch in response):
        return "Write an answer first."
    return None


def echoed(tokens: Tokens, grams: frozenset[tuple[str, ...]]) -> frozenset[int]:
    """Positions of the tokens that copy a run of ECHO_RUN or more words of the prompt (operators skipped)."""
    if not grams:
        return frozenset()
    positions = _words_of(tokens)
    keys = [tokens.keys[i] for i in positions]
    blocked: set[int] = set()
    for i in range(len(keys) - ECHO_RUN + 1):
        if tuple(keys[i : i + ECHO_RUN]) in grams:
            blocked.update(range(positions[i], positions[i + ECHO_RUN - 1] + 1))
    return frozenset(blocked)


def is_salad(tokens: Tokens) -> bool:
    """A bag of keywords: enough content words, hardly any function words, and most content sitting in
    long runs with no function word. Short bullet fragments and terse sentences are not salad."""
    kinds = tokens.kinds
    content = [
        k != "o" and not (k == "w" and (w in FUNCTION_WORDS or w in SALAD_GLUE)) for k, w in zip(kinds, tokens.words)
    ]
    n_content = sum(content)
    if n_content < SALAD_MIN_CONTENT:
        return False
    n_function = len(content) - n_content - kinds.count("o") + tokens.articles
    if n_function / (n_function + n_content) >= SALAD_MAX_FUNCTION:
        return False
    in_runs = run = 0
    for index, is_content in enumerate(content):
        if kinds[index] == "o":
            continue  # "=", "/": neither glue nor a keyword
        if not is_content or (index and tokens.segments[index] != tokens.segments[index - 1]):
            in_runs += run if run >= SALAD_RUN else 0
            run = 0
        run += is_content
    in_runs += run if run >= SALAD_RUN else 0
    return in_runs / n_content >= SALAD_SHARE


def _match(
    positions: Positions, claims: tuple[Claim, ...], avoid: tuple[tuple[int, int], ...] = ()
) -> tuple[Occurrence | None, Occurrence | None]:
    """The first plain occurrence of any claim, else (None, the first negated one); words in `avoid` (a
    stated misconception) are never evidence for a concept."""
    negated = None
    for claim in claims:
        occurrence = positions.find(claim, avoid)
        if occurrence is None:
            continue
        if not occurrence.negated:
            return occurrence, None
        negated = negated or occurrence
    return None, negated


def label_for(verdict: Verdict, score: float) -> str:
    """The words a learner sees for a verdict."""
    if verdict == Verdict.CORRECT:
        return "Correct"
    if verdict == Verdict.PARTIAL:
        return "Mostly right" if score >= MOSTLY_RIGHT else "Partly right"
    if verdict == Verdict.INVALID:
        return "Not graded"
    return "Not yet"


@dataclass
class _Read:
    tokens: Tokens
    positions: Positions
    salad: bool
    echoed: int


def _read(spec: RubricSpec, response: str, grams: frozenset[tuple[str, ...]]) -> _Read | str:
    tokens = tokenize(response)
    if not tokens.keys:
        return "Write your answer in words."
    blocked = echoed(tokens, grams)
    return _Read(tokens, Positions(tokens, spec.vocabulary, blocked), is_salad(tokens), len(blocked))


Spans = tuple[tuple[int, int], ...]


def _misconceptions(spec: RubricSpec, read: _Read) -> tuple[list[dict], list[str], Spans]:
    """The misconceptions stated, their feedback lines and the token spans that state them."""
    present: list[dict] = []
    lines: list[str] = []
    spans: list[tuple[int, int]] = []
    for misconception in spec.misconceptions:
        found, _ = _match(read.positions, misconception.claims)
        if not found:
            continue
        quote = read.tokens.quote(found.start, found.end)
        spans.append((found.start, found.end))
        right = misconception.correction or misconception.feedback
        present.append(
            {
                "id": misconception.id,
                "label": misconception.label,
                "matched": quote,
                "correction": misconception.correction,
                "feedback": right,
            }
        )
        lines.append(f"⚠ You said “{quote}”: {misconception.label}." + (f" {right}" if right else ""))
    return present, lines, tuple(spans)


SALAD_MESSAGE = (
    "This reads as a list of keywords, not an answer. Write it in sentences that say what each idea means "
    "and how they connect; a list of terms earns no credit."
)
ECHO_MESSAGE = "Words copied from the question earn no credit: say it in your own words."


def grade(spec: RubricSpec, response: Any) -> Grade:
    problem = _check_text(response)
    if problem:
        return Grade.invalid(problem)
    read = _read(spec, response, spec.prompt_grams)
    if isinstance(read, str):
        return Grade.invalid(read)
    if read.salad:
        missed = [_missed_entry(c) for c in spec.concepts]
        details = {"salad": True, "words": len(read.tokens), "total_weight": spec.total_weight}
        return Grade(0.0, Verdict.INCORRECT, [SALAD_MESSAGE], spec.model_answer, [], missed, [], details,
                     label="Not yet")

    present, wrong_lines, wrong_spans = _misconceptions(spec, read)
    found: list[dict] = []
    missed: list[dict] = []
    lines: list[str] = []
    for concept in spec.concepts:
        occurrence, negated = _match(read.positions, concept.claims, wrong_spans)
        if occurrence:
            quote = read.tokens.quote(occurrence.start, occurrence.end)
            found.append(
                {"id": concept.id, "label": concept.label, "weight": concept.weight, "gate": concept.gate,
                 "matched": quote}
            )
            lines.append(f"✓ {concept.label} — you said “{quote}”")
            continue
        entry = _missed_entry(concept)
        line = f"✗ {concept.label}" + (" (a core point)" if concept.gate else "")
        if negated:
            quote = read.tokens.quote(negated.start, negated.end)
            entry["negated"] = quote
            line += f" — you said “{quote}”, which negates or reverses it"
        missed.append(entry)
        lines.append(f"{line} — {concept.feedback}" if concept.feedback else line)
    lines += wrong_lines

    found_weight = sum(c["weight"] for c in found)
    raw = found_weight / spec.total_weight
    gates_missed = [c for c in missed if c["gate"]]
    gates_denied = [c for c in gates_missed if c.get("negated")]
    score = raw
    if gates_missed:
        score = min(score, GATE_CAP)
        lines.append(f"Without the core point the score is capped at {GATE_CAP:.0%}.")
    if present or gates_denied:  # denying the core point is a wrong claim too
        score = min(score, MISCONCEPTION_CAP)
        lines.append(f"A wrong claim caps the score at {MISCONCEPTION_CAP:.0%}.")
    score = round(min(1.0, max(0.0, score)), 4)
    if score >= spec.correct and not gates_missed and not present:
        verdict = Verdict.CORRECT
    elif score >= spec.partial:
        verdict = Verdict.PARTIAL
    else:
        verdict = Verdict.INCORRECT
    label = label_for(verdict, score)
    summary = f"{label}: you covered {len(found)} of {len(spec.concepts)} key points."
    if read.echoed >= ECHO_RUN:
        lines.append(ECHO_MESSAGE)
    details = {
        "found_weight": found_weight,
        "total_weight": spec.total_weight,
        "words": len(read.tokens),
        "gates_missed": [c["id"] for c in gates_missed],
        "echoed_words": read.echoed,
    }
    return Grade(score, verdict, [summary, *lines], spec.model_answer, found, missed, present, details,
                 label=label)


def _missed_entry(concept: Concept) -> dict:
    return {
        "id": concept.id,
        "label": concept.label,
        "weight": concept.weight,
        "feedback": concept.feedback,
        "gate": concept.gate,
        "follow_up": concept.follow_up,
    }


def grade_concept(spec: RubricSpec, concept_id: str, response: Any) -> Grade:
    """Grade an answer to a concept's follow-up against that concept alone: found (and no misconception
    stated) is correct; a stated misconception still caps the score and is named. SpecError for an unknown
    concept id."""
    concept = spec.concept(concept_id)
    problem = _check_text(response)
    if problem:
        return Grade.invalid(problem)
    grams = spec.prompt_grams | _grams(concept.follow_up or "")
    read = _read(spec, response, grams)
    if isinstance(read, str):
        return Grade.invalid(read)
    expected = f"{concept.label}. {concept.feedback}".strip() if concept.feedback else concept.label
    if read.salad:
        return Grade(0.0, Verdict.INCORRECT, [SALAD_MESSAGE], expected, [], [_missed_entry(concept)], [],
                     {"salad": True, "concept": concept.id}, label="Not yet")
    present, wrong_lines, wrong_spans = _misconceptions(spec, read)
    occurrence, negated = _match(read.positions, concept.claims, wrong_spans)
    lines: list[str] = []
    found: list[dict] = []
    missed: list[dict] = []
    if occurrence:
        quote = read.tokens.quote(occurrence.start, occurrence.end)
        found.append(
            {"id": concept.id, "label": concept.label, "weight": concept.weight, "gate": concept.gate,
             "matched": quote}
        )
        lines.append(f"✓ {concept.label} — you said “{quote}”")
    else:
        entry = _missed_entry(concept)
        line = f"✗ {concept.label}"
        if negated:
            entry["negated"] = read.tokens.quote(negated.start, negated.end)
            line += f" — you said “{entry['negated']}”, which negates or reverses it"
        missed.append(entry)
        lines.append(f"{line} — {concept.feedback}" if concept.feedback else line)
    lines += wrong_lines
    score = 1.0 if occurrence else 0.0
    if present:
        score = min(score, MISCONCEPTION_CAP)
    verdict = Verdict.CORRECT if occurrence and not present else Verdict.INCORRECT
    label = label_for(verdict, score)
    details = {"concept": concept.id, "words": len(read.tokens), "echoed_words": read.echoed}
    feedback = [label + ".", *lines]
    return Grade(score, verdict, feedback, expected, found, missed, present, details, label=label)

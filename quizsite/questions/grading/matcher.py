"""Claims: small patterns of words matched in order, within one sentence, with bounded gaps.

A claim is written as words, with `(a|b c|d)` for alternatives, `(words)?` or `word?` for optional words and
`...` for a wider gap. Everything is tokenised by the same pipeline as answers (text.tokenize), so number
words, percentages, code and stems meet in one form. Compiled once per rubric: each distinct token becomes a
vocabulary id, and an answer is turned into the positions of each id, so grading never compiles a regex.
"""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from quizsite.questions.grading.text import FUNCTION_WORDS, NEGATORS, Tokens, key_of, stem, tokenize

GAP = 2  # tokens allowed between two words of a claim ("average [latency really] hides")
WIDE_GAP = 10  # after "..." in a claim
FUZZY_MIN_LENGTH = 5
FUZZY_MIN_RATIO = 85
MEMO_LIMIT = 50_000
MAX_PATHS = 4_000
MAX_TRIES = 400  # partial matches tried per claim and answer before giving up

# Direction and role words: never matched by spelling to anything but themselves, so a typo tolerance
# cannot turn "decrease" into "increase" or "slower" into "lower".
ANTONYM_PAIRS = [
    ("open", "closed"), ("opens", "closes"), ("opened", "close"), ("above", "below"), ("faster", "slower"),
    ("master", "worker"), ("increase", "decrease"), ("increases", "decreases"), ("increased", "decreased"),
    ("increasing", "decreasing"), ("more", "fewer"), ("more", "less"), ("before", "after"),
    ("higher", "lower"), ("client", "server"), ("upstream", "downstream"), ("inbound", "outbound"),
    ("read", "write"), ("reads", "writes"), ("reader", "writer"), ("sync", "async"),
    ("blocking", "nonblocking"), ("success", "failure"), ("width", "height"), ("wider", "narrower"),
    ("longer", "shorter"), ("larger", "smaller"), ("bigger", "smaller"), ("maximum", "minimum"),
    ("first", "last"), ("start", "stop"), ("enable", "disable"), ("accept", "reject"), ("allow", "block"),
    ("allowed", "blocked"), ("include", "exclude"), ("inclusive", "exclusive"), ("horizontal", "vertical"),
    ("horizontally", "vertically"), ("producer", "consumer"), ("leader", "follower"), ("primary", "replica"),
    ("warm", "cold"), ("hit", "miss"), ("eager", "lazy"), ("push", "pull"), ("sender", "receiver"),
    ("caller", "callee"), ("parent", "child"), ("rises", "falls"), ("grows", "shrinks"), ("up", "down"),
    ("in", "out"), ("under", "over"), ("saturated", "idle"), ("bound", "unbound"),
]
ANTONYMS = frozenset(stem(w) for pair in ANTONYM_PAIRS for w in pair) | frozenset(
    w for pair in ANTONYM_PAIRS for w in pair
)


# Real words close in spelling to a rubric word but meaning something else: never read as a typo.
NOT_TYPOS = frozenset({"lately", "throughout", "medium", "lighter", "latent", "layer", "cached", "catches"})
_EXACT_ONLY = ANTONYMS | NOT_TYPOS


class ClaimError(ValueError):
    """A claim that cannot be compiled or breaks a rule; the message says why."""


@dataclass(frozen=True)
class Atom:
    kind: str  # w, n, c, o
    key: str
    word: str
    proper: bool = False  # written as a tool's name (HdrHistogram, cProfile, wrk2): specific on its own

    @property
    def content(self) -> bool:
        """Does it say something on its own (not a function word or an operator)?"""
        return self.kind in ("n", "c") or (
            self.kind == "w" and (self.word not in FUNCTION_WORDS or self.word in ANTONYMS)
        )


@dataclass(frozen=True)
class Element:
    """One step of a claim: one of several alternatives (each a run of vocabulary ids), maybe empty."""

    alternatives: tuple[tuple[int, ...], ...]
    gap: int


@dataclass(frozen=True)
class Claim:
    text: str
    elements: tuple[Element, ...]
    required: frozenset[int]  # ids every match needs (single-alternative, non-optional steps)
    needs: tuple[frozenset[int], ...] = ()  # per non-optional step: the first ids of its alternatives


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int
    negated: bool


def _split_claim(text: str) -> list[tuple[str, list[str], bool]]:
    """The claim as parts: ("words", [text], False), ("group", [alternatives], optional) and
    ("gap", [], False)."""
    parts: list[tuple[str, list[str], bool]] = []
    buffer: list[str] = []
    i = 0
    n = len(text)

    def flush() -> None:
        if "".join(buffer).strip():
            parts.append(("words", ["".join(buffer)], False))
        buffer.clear()

    while i < n:
        char = text[i]
        if text.startswith("...", i) or char == "…":
            flush()
            parts.append(("gap", [], False))
            i += 1 if char == "…" else 3
        elif char == "(" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")):
            close = text.find(")", i)
            if close < 0:
                raise ClaimError("a '(' without its ')'")
            inner = text[i + 1 : close]
            if "(" in inner:
                raise ClaimError("groups cannot be nested")
            flush()
            optional = close + 1 < n and text[close + 1] == "?"
            parts.append(("group", inner.split("|"), optional))
            i = close + (2 if optional else 1)
        elif char == "(":  # code: between(1, 2), response.failure(...)
            close = text.find(")", i)
            buffer.append(text[i : close + 1] if close >= 0 else text[i:])
            i = close + 1 if close >= 0 else n
        elif char == "?" and buffer and buffer[-1][-1:].isalnum():
            # word? -> (word)?
            joined = "".join(buffer)
            head, _, last = joined.rstrip().rpartition(" ")
            buffer.clear()
            buffer.append(head + " ")
            flush()
            parts.append(("group", [last], True))
            i += 1
        elif char in "|)":
            raise ClaimError(f"a stray {char!r} outside a group")
        else:
            buffer.append(char)
            i += 1
    flush()
    return parts


_PROPER = re.compile(r"[a-z0-9][A-Z]|[A-Z]{2,}[a-z]{2,}|[A-Za-z]\d|\d[A-Za-z]")


def _atoms(text: str) -> list[Atom]:
    tokens = tokenize(text)
    return [
        Atom(kind, key, word, kind == "w" and bool(_PROPER.search(tokens.text[start:end])))
        for kind, key, word, start, end in zip(
            tokens.kinds, tokens.keys, tokens.words, tokens.starts, tokens.ends
        )
    ]


def parse_claim(text: str) -> list[tuple[list[list[Atom]], bool, int]]:
    """The claim as steps: (alternatives as atom runs, optional, gap before it). ClaimError when it is
    malformed or could match a lone common word."""
    if not isinstance(text, str) or not text.strip():
        raise ClaimError("must be non-empty text")
    steps: list[tuple[list[list[Atom]], bool, int]] = []
    gap = GAP
    for kind, values, optional in _split_claim(text):
        if kind == "gap":
            gap = WIDE_GAP
            continue
        if kind == "words":
            for atom in _atoms(values[0]):
                steps.append(([[atom]], False, gap))
                gap = GAP
            continue
        alternatives = [_atoms(value) for value in values]
        empty = [value for value, atoms in zip(values, alternatives) if not atoms]
        if empty and not optional:
            raise ClaimError(
                f"the alternative {empty[0].strip()!r} has no word to match (articles and most symbols are "
                "ignored): remove it, or make the group optional with (...)?"
            )
        if not any(alternatives):
            continue  # "(the )?" and friends: articles are not matched anyway
        steps.append((alternatives, optional or any(not a for a in alternatives), gap))
        gap = GAP
    if not steps:
        raise ClaimError("has no words to match")
    _check_specific(steps)
    return steps


def _check_specific(steps: list[tuple[list[list[Atom]], bool, int]]) -> None:
    """Refuse a claim any of whose readings is one common word (or none): one word is allowed only when
    it is code (`catch_response`, `@task`), a compound term (`half-open`) or comes with an operator
    (`json=`)."""
    choices = [alternatives + ([[]] if optional else []) for alternatives, optional, _ in steps]
    count = 1
    for options in choices:
        count *= len(options)
    if count > MAX_PATHS:
        raise ClaimError(f"has {count:,} readings; split it into several claims")
    for path in product(*choices):
        atoms = [atom for run in path for atom in run]
        content = [atom for atom in atoms if atom.content]
        reading = " ".join(atom.word for atom in atoms)
        if not content:
            raise ClaimError(f"one reading ({reading!r}) has no content word; it would match anything")
        # code, a compound ("half-open") or a tool's name as written (HdrHistogram, cProfile, wrk2)
        specific = content and (content[0].kind == "c" or "-" in content[0].word or content[0].proper)
        if len(content) == 1 and not specific and not any(a.kind == "o" for a in atoms):
            raise ClaimError(
                f"one reading ({reading!r}) is the lone word {content[0].word!r}; a claim needs two content "
                "words (or one piece of code such as catch_response=True)"
            )


class Vocabulary:
    """The tokens of a rubric's claims, each with an id. A text token matches by its key (stem, number or
    code); a code token also by a dotted suffix (`self.client.post` for `client.post`); a word of 5 letters
    or more also by a close spelling (rapidfuzz ratio >= 85, or one swapped pair of letters), except
    direction and role words (ANTONYMS), which must be spelled as themselves. Spelling results are memoised
    per word."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self._forms: list[str] = []
        self._form_ids: list[int] = []
        self._by_letters: dict[str, list[tuple[str, int]]] = {}
        self._code: list[tuple[str, int]] = []
        self._memo: dict[str, tuple[int, ...]] = {}

    def add(self, atom: Atom) -> int:
        known = (atom.kind, atom.key)
        if known in self.ids:
            return self.ids[known]
        atom_id = self.ids[known] = len(self.ids)
        if atom.kind == "c":
            self._code.append((atom.key if atom.key.startswith(".") else "." + atom.key, atom_id))
        if atom.kind == "w" and atom.key not in ANTONYMS and atom.word not in ANTONYMS:
            for form in {atom.word, atom.key}:
                if _fuzzy_form(form) and form not in self._forms:
                    self._forms.append(form)
                    self._form_ids.append(atom_id)
                    self._by_letters.setdefault("".join(sorted(form)), []).append((form, atom_id))
        return atom_id

    def lookup_all(self, tokens: Tokens) -> list[tuple[int, ...]]:
        """For each token, the ids of the claim tokens it stands for (empty when none)."""
        result: list[tuple[int, ...] | None] = []
        new: dict[str, str] = {}
        ids = self.ids
        for kind, word, key in zip(tokens.kinds, tokens.words, tokens.keys):
            exact = ids.get((kind, key))
            if exact is not None:
                result.append((exact,))
            elif kind == "c":
                result.append(tuple(i for suffix, i in self._code if key.endswith(suffix)))
            elif kind != "w" or not _fuzzy_form(word) or word in _EXACT_ONLY or key in ANTONYMS:
                result.append(())
            else:
                memo = self._memo.get(word)
                result.append(memo)
                if memo is None:
                    new[word] = key
        if new:
            fresh = self._remember(new)
            result = [fresh[w] if r is None else r for w, r in zip(tokens.words, result)]
        return result  # type: ignore[return-value]

    def _remember(self, new: dict[str, str]) -> dict[str, tuple[int, ...]]:
        """Compare new words with the vocabulary in one batch; memoise and return the results."""
        queries: list[tuple[str, str]] = []
        for word, key in new.items():
            queries.append((word, word))
            if key != word and _fuzzy_form(key):
                queries.append((key, word))
        found: dict[str, set[int]] = {word: set() for word in new}
        if self._forms:
            scores = process.cdist(
                [q[0] for q in queries], self._forms, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO
            )
            for row, column in zip(*scores.nonzero()):
                found[queries[row][1]].add(self._form_ids[column])
        for form, word in queries:
            for other, word_id in self._by_letters.get("".join(sorted(form)), ()):
                if OSA.distance(form, other) == 1:  # one swapped pair: "cahce" for "cache"
                    found[word].add(word_id)
        results = {word: tuple(sorted(ids)) for word, ids in found.items()}
        if len(self._memo) + len(results) > MEMO_LIMIT:
            self._memo.clear()  # another thread may be reading: results are returned, not read back
        self._memo.update(results)
        return results


def _fuzzy_form(form: str) -> bool:
    return len(form) >= FUZZY_MIN_LENGTH and form.isalpha() and form not in FUNCTION_WORDS


def compile_claim(text: str, vocabulary: Vocabulary) -> Claim:
    steps = parse_claim(text)
    elements = []
    required: set[int] = set()
    for alternatives, optional, gap in steps:
        runs = tuple(tuple(vocabulary.add(atom) for atom in run) for run in alternatives)
        if optional and () not in runs:
            runs = runs + ((),)
        elements.append(Element(runs, gap))
        if len(runs) == 1:
            required.update(runs[0])
    needs = tuple(
        frozenset(run[0] for run in e.alternatives)
        for e in elements
        if () not in e.alternatives and len(e.alternatives) > 1
    )
    return Claim(text, tuple(elements), frozenset(required), needs)


class Positions:
    """Where each claim token occurs in one answer; tokens copied from the prompt (`blocked`) are left
    out, so they can never be evidence."""

    def __init__(self, tokens: Tokens, vocabulary: Vocabulary, blocked: frozenset[int] = frozenset()):
        self.tokens = tokens
        self.at: dict[int, list[int]] = {}
        for index, ids in enumerate(vocabulary.lookup_all(tokens)):
            if index in blocked:
                continue
            for word_id in ids:
                self.at.setdefault(word_id, []).append(index)

    def find(self, claim: Claim, avoid: tuple[tuple[int, int], ...] = ()) -> Occurrence | None:
        """The first plain occurrence of the claim, else the first negated one, else None. Occurrences that
        overlap a span in `avoid` (words already read as a wrong claim) do not count."""
        at = self.at
        for word_id in claim.required:
            if word_id not in at:
                return None
        for firsts in claim.needs:
            if at.keys().isdisjoint(firsts):
                return None
        negated: Occurrence | None = None
        tries = [0]
        for used in self._walk(claim.elements, 0, -1, -1, (), tries):
            occurrence = self._occurrence(used)
            if avoid and any(occurrence.start <= end and start <= occurrence.end for start, end in avoid):
                continue
            if not occurrence.negated:
                return occurrence
            negated = negated or occurrence
            if tries[0] > MAX_TRIES:
                break
        return negated

    def _occurrence(self, used: tuple[int, ...]) -> Occurrence:
        tokens = self.tokens
        start, end = used[0], used[-1]
        negated = tokens.negated_before[start] or tokens.negated_after[end]
        if not negated and end - start + 1 > len(used):
            # a negator between the claim's words negates it, unless it sits in a parenthesis the claim
            # steps over: "delete (not overwrite) the key"
            inside = set(used)
            groups = tokens.groups
            negated = any(
                tokens.negator[j] and groups[j] in (0, groups[end])
                for j in range(start + 1, end)
                if j not in inside
            )
        return Occurrence(start, end, negated)

    def _walk(
        self, elements: tuple[Element, ...], k: int, last: int, sentence: int, used: tuple[int, ...],
        tries: list[int],
    ) -> Iterator[tuple[int, ...]]:
        if k == len(elements):
            if used:
                yield used
            return
        element = elements[k]
        for run in element.alternatives:
            if not run:
                yield from self._walk(elements, k + 1, last, sentence, used, tries)
            else:
                yield from self._run(elements, k, run, 0, last, sentence, used, element.gap, tries)
            if tries[0] > MAX_TRIES:
                return

    def _run(
        self, elements: tuple[Element, ...], k: int, run: tuple[int, ...], a: int, last: int, sentence: int,
        used: tuple[int, ...], gap: int, tries: list[int],
    ) -> Iterator[tuple[int, ...]]:
        if a == len(run):
            yield from self._walk(elements, k + 1, last, sentence, used, tries)
            return
        positions = self.at.get(run[a])
        if not positions:
            return
        if last < 0:
            lo, hi = 0, len(positions)
        else:
            lo = bisect_right(positions, last)
            hi = bisect_left(positions, last + gap + 2)
        sentences = self.tokens.sentences
        for index in range(lo, hi):
            position = positions[index]
            if sentence >= 0 and sentences[position] != sentence:
                continue
            tries[0] += 1
            yield from self._run(
                elements, k, run, a + 1, position, sentences[position], used + (position,), GAP, tries
            )
            if tries[0] > MAX_TRIES:
                return


__all__ = [
    "Claim",
    "ClaimError",
    "NEGATORS",
    "Occurrence",
    "Positions",
    "Vocabulary",
    "compile_claim",
    "key_of",
    "parse_claim",
]

"""Finding phrasings in tokenised text: words in order within a small window, with typo tolerance."""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from quizsite.questions.grading.text import Tokens

FUZZY_MIN_LENGTH = 5
FUZZY_MIN_RATIO = 85
EXTRA_WORDS = 2  # a phrasing of n words matches within n + 2 words of text
MEMO_LIMIT = 50_000


class Vocabulary:
    """The words of a rubric's phrasings, each with an id; looks up a text word by stem, or by a close
    spelling (rapidfuzz ratio >= 85, or one swapped pair of letters) for words of 5 letters or more.

    A word that is itself in the vocabulary is taken as spelled right and not matched fuzzily. The new
    words of an answer are compared in one batch, and the results are memoised per word, so repeated
    grading with one rubric gets faster.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._forms: list[str] = []
        self._form_ids: list[int] = []
        self._by_letters: dict[str, list[tuple[str, int]]] = {}
        self._memo: dict[str, tuple[int, ...]] = {}

    def add(self, word: str, stem: str, written: str = "") -> int:
        """The id of a phrasing word (shared by every word with the same stem); `written` is the word as
        the author wrote it when a synonym replaced it ("people" for "users"), also matched by spelling."""
        word_id = self.ids.setdefault(stem, len(self.ids))
        for form in {word, stem, written}:
            if _fuzzy_form(form) and form not in self._forms:
                self._forms.append(form)
                self._form_ids.append(word_id)
                self._by_letters.setdefault("".join(sorted(form)), []).append((form, word_id))
        return word_id

    def lookup_all(self, words: Sequence[str], stems: Sequence[str]) -> list[tuple[int, ...]]:
        """For each text word, the ids of the vocabulary words it stands for (empty when none)."""
        result: list[tuple[int, ...] | None] = []
        new: dict[str, str] = {}
        for word, stem in zip(words, stems):
            exact = self.ids.get(stem)
            if exact is not None:
                result.append((exact,))
            elif not _fuzzy_form(word):
                result.append(())
            else:
                result.append(self._memo.get(word))
                if result[-1] is None:
                    new[word] = stem
        if new:
            fresh = self._remember(new)
            result = [fresh[w] if r is None else r for w, r in zip(words, result)]
        return result  # type: ignore[return-value]

    def _remember(self, new: dict[str, str]) -> dict[str, tuple[int, ...]]:
        """Compare new words with the vocabulary in one batch; memoise and return the results."""
        queries: list[tuple[str, str]] = []  # (form, word it came from)
        for word, stem in new.items():
            queries.append((word, word))
            if stem != word and _fuzzy_form(stem):
                queries.append((stem, word))
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
    """Only words of 5 letters or more are matched by spelling; numbers and short words must be exact."""
    return len(form) >= FUZZY_MIN_LENGTH and form.isalpha()


@dataclass(frozen=True)
class Phrasing:
    """A phrasing as the author wrote it, and its words as vocabulary ids."""

    text: str
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int
    negated: bool


class Positions:
    """Where each vocabulary word occurs in one text."""

    def __init__(self, tokens: Tokens, vocabulary: Vocabulary):
        self.tokens = tokens
        self.at: dict[int, list[int]] = {}
        for index, ids in enumerate(vocabulary.lookup_all(tokens.words, tokens.stems)):
            for word_id in ids:
                self.at.setdefault(word_id, []).append(index)

    def find(self, phrasing: Phrasing) -> Iterable[Occurrence]:
        """Every place the phrasing's words appear in order, within len + 2 words and one sentence."""
        first = self.at.get(phrasing.ids[0])
        if not first:
            return
        rest = [self.at.get(word_id) for word_id in phrasing.ids[1:]]
        if not all(rest):
            return
        tokens = self.tokens
        for start in first:
            bound = start + len(phrasing.ids) - 1 + EXTRA_WORDS
            end = start
            for positions in rest:
                index = bisect_right(positions, end)
                if index == len(positions) or positions[index] > bound:
                    break
                end = positions[index]
            else:
                if tokens.sentences[start] == tokens.sentences[end]:
                    yield Occurrence(start, end, tokens.negated_before[start] or tokens.negated_after[end])

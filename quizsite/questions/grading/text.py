"""Free text to tokens for rubric matching: normalised, stemmed, with sentence, clause and negation marks.

The same pipeline runs on a rubric's phrasings and on a learner's answer, so both meet in one form:
NFKC, case-folded, accents stripped, punctuation as boundaries, numbers canonical ("10,000", "10k" and
"ten thousand" are all 10000; "99 percent" is 99%), a few synonyms, and light stemming.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

STOPWORDS = frozenset({"a", "an", "the"})

# Words whose scope is the rest of their clause ("don't bother profiling").
NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "wont",
        "wouldnt",
        "shouldnt",
        "cant",
        "cannot",
        "couldnt",
        "neednt",
        "mustnt",
        "hasnt",
        "havent",
        "hadnt",
        "aint",
    }
)
# Words that negate only their object: their scope also ends at "and" / "or" ("avoid guessing and profile").
OBJECT_NEGATORS = frozenset({"without", "avoid", "instead", "rather", "skip"})
# A negator followed by one of these is not a negation ("not only", "no doubt").
NEGATION_EXCEPTIONS = frozenset({"only", "just", "merely", "doubt", "matter", "wonder", "surprise"})
# After a phrase: "profiling is pointless", "caching won't help".
POST_NEGATORS = frozenset(
    {
        "isnt",
        "arent",
        "wasnt",
        "doesnt",
        "wont",
        "didnt",
        "unnecessary",
        "pointless",
        "useless",
        "overkill",
        "irrelevant",
        "waste",
    }
)
CLAUSE_WORDS = frozenset(
    {
        "but",
        "however",
        "although",
        "though",
        "whereas",
        "while",
        "unless",
        "because",
        "since",
        "so",
        "then",
        "otherwise",
        "except",
        "instead",
        "rather",
        "which",
        "who",
        "also",
    }
)

SYNONYMS: dict[str, str] = {
    "db": "database",
    "dbs": "database",
    "rdbms": "database",
    "mem": "memory",
    "ram": "memory",
    "perf": "performance",
    "asynchronous": "async",
    "asynchronously": "async",
    "nonblocking": "non blocking",
    "flamegraph": "flame graph",
    "flamegraphs": "flame graph",
    "k8s": "kubernetes",
    "avg": "average",
    "req": "request",
    "reqs": "request",
    "msec": "ms",
    "msecs": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "sec": "second",
    "secs": "second",
    "pctl": "percentile",
    "pct": "percent",
    "util": "utilization",
    "utilisation": "utilization",
    "cpus": "cpu",
    "gpus": "gpu",
    "slis": "sli",
    "apis": "api",
    "vms": "vm",
    "people": "users",
    "customers": "users",
    "visitors": "users",
    "okay": "ok",
}

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_ORDINAL_UNITS = {
    w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split(), 1)
}
_ORDINAL_TENS = {
    w: 10 * i
    for i, w in enumerate(
        "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(), 2
    )
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SUFFIXES = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}

_REWRITES = [
    (re.compile(r"(?<=\w)['’ʼ`´](?=\w)"), ""),  # don't -> dont, cpu's -> cpus
    (re.compile(r"\be\.g\.|\bi\.e\.|\betc\.|\bvs\."), lambda m: m.group(0).replace(".", "")),
    (re.compile(r"\bw/o\b"), " without "),
    (re.compile(r"\bw/(?=\s)"), " with "),
    (re.compile(r"&"), " and "),
    (re.compile(r"\bi\s*/\s*o\b|\binput\s*/\s*output\b"), " io "),
    (re.compile(r"(?<=[a-z])\.(?=[a-z])"), " "),  # node.js, not a sentence end
    (re.compile(r"(?<=\d),(?=\d{3}(?!\d))"), ""),  # 10,000 -> 10000
    (re.compile(r"(?<=\d)\s*(?:%|percent(?!\w)|per cent(?!\w)|pct(?!\w))"), "% "),
    (re.compile(r"\bp[\s-]+(\d{2}(?:\.\d+)?)\b"), r"p\1"),  # p 99 -> p99
    (re.compile(r"\bp(\d{2})\.(\d+)\b"), r"p\1\2"),  # p99.9 -> p999, not a sentence end
]
_SUFFIXED = re.compile(r"\b(\d+(?:\.\d+)?)(k|m|mn|bn)\b")
_DIGIT_WORD = re.compile(r"\b(\d+(?:\.\d+)?)(?!(?:st|nd|rd|th)\b)([^\W\d_]+)")
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?(?:%|st\b|nd\b|rd\b|th\b)?)"
    r"|(?P<word>[^\W_]+)"
    r"|(?P<sentence>[.!?;:]+|\n\s*\n)"
    r"|(?P<clause>[,()\[\]\"“”—–]|\s-\s)"
)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def prepare(text: str) -> str:
    """NFKC, case-fold, strip accents, and rewrite numbers and abbreviations into one form."""
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    text = _SUFFIXED.sub(lambda m: _number_text(float(m.group(1)) * _SUFFIXES[m.group(2)]), text)
    return _DIGIT_WORD.sub(r"\1 \2", text)


_BRITISH_IZE = re.compile(r"is(e|es|ed|ing|ation|ations|er|ers)$")
_REPLACED_SUFFIXES = (
    ("ization", "ize"),
    ("izations", "ize"),
    ("ational", "ate"),
    ("ation", "ate"),
    ("ations", "ate"),
    ("ies", "y"),
    ("ied", "y"),
    ("sses", "ss"),
)
_REPLACED_ENDINGS = tuple(suffix for suffix, _ in _REPLACED_SUFFIXES)
_ES_PLURALS = ("ches", "shes", "xes", "zes", "sses")
_KEPT_S = ("ss", "us", "is")
_VERB_ENDINGS = ("ing", "ed", "ly")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light stemmer: plurals, -ing, -ed, -ly, British -ise and a final -e, so "caches", "caching",
    "cached" and "cache" share "cach". Words with digits and short words are left alone."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if "is" in word:
        word = _BRITISH_IZE.sub(r"iz\1", word)
    if len(word) > 5 and word.endswith("our"):
        word = word[:-3] + "or"
    if word.endswith(_REPLACED_ENDINGS):
        for suffix, replacement in _REPLACED_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)] + replacement
                break
    else:
        if word.endswith(_ES_PLURALS) and len(word) > 5:
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(_KEPT_S):  # "slos" -> "slo", "caches" -> "cache"
            word = word[:-1]
        if word.endswith(_VERB_ENDINGS):
            for suffix in _VERB_ENDINGS:
                if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                    word = word[: -len(suffix)]
                    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
                        word = word[:-1]
                    break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


@dataclass(frozen=True)
class Tokens:
    """The content words of a text (stopwords and punctuation left out), with for each word: its display
    form, stem, sentence number, and whether a phrase starting or ending there is negated. `spans` maps a
    content word to its position in `display`, which keeps every word for quoting."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    sentences: tuple[int, ...]
    negated_before: tuple[bool, ...]
    negated_after: tuple[bool, ...]
    spans: tuple[int, ...]
    display: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)

    def quote(self, start: int, end: int) -> str:
        """The learner's words from content word `start` to `end`, inclusive, stopwords included."""
        return " ".join(word for word in self.display[self.spans[start] : self.spans[end] + 1] if word)


def _raw_tokens(text: str) -> list[tuple[str, str, str]]:
    """(kind, word, display) triples: kind is word, num, sentence or clause; synonyms expanded (the
    display form stays the learner's word)."""
    result: list[tuple[str, str, str]] = []
    for match in _TOKEN.finditer(prepare(text)):
        kind = match.lastgroup
        value = match.group(0)
        if kind == "word" and value in SYNONYMS:
            parts = SYNONYMS[value].split()
            result.extend(("word", part, value if i == 0 else "") for i, part in enumerate(parts))
        else:
            result.append((kind, value, value))
    return _number_words(result)


def _number_words(tokens: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """ "ninety nine" -> 99, "ninety-ninth" -> 99th, "ten thousand" -> 10000, "99 percent" -> 99%."""
    out: list[tuple[str, str, str]] = []
    i = 0
    while i < len(tokens):
        kind, value, shown = tokens[i]
        number: float | None = None
        ordinal = False
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if value in _TENS:
            number = _TENS[value]
            if nxt in _UNITS and 0 < _UNITS[nxt] < 10:
                number, i = number + _UNITS[nxt], i + 1
            elif nxt in _ORDINAL_UNITS:
                number, ordinal, i = number + _ORDINAL_UNITS[nxt], True, i + 1
        elif value in _ORDINAL_TENS:
            number, ordinal = _ORDINAL_TENS[value], True
        elif value in _UNITS:
            number = _UNITS[value]
        elif kind == "num" and value.replace(".", "", 1).isdigit():
            number = float(value)
        elif value == "a" and nxt in _SCALES:
            number = 1
        elif value in _SCALES:
            number = _SCALES[value]
        if number is None:
            out.append((kind, value, shown))
            i += 1
            continue
        while not ordinal and i + 1 < len(tokens) and tokens[i + 1][1] in _SCALES:
            number *= _SCALES[tokens[i + 1][1]]
            i += 1
        text = _number_text(number)
        shown = f"{int(number):,}" if float(number).is_integer() else text
        if ordinal:
            text += "th"
            shown = text
        elif i + 1 < len(tokens) and tokens[i + 1][1] in ("percent", "pct"):
            text += "%"
            shown += "%"
            i += 1
        out.append(("num", text, shown))
        i += 1
    return out


def tokenize(text: str) -> Tokens:
    """Tokens for matching, with negation worked out per position."""
    raw = _raw_tokens(text)
    words: list[str] = []
    stems: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    spans: list[int] = []
    display: list[str] = []
    sentence = clause = 0
    for kind, value, shown in raw:
        if kind == "sentence":
            sentence += 1
            clause += 1
            continue
        if kind == "clause":
            clause += 1
            continue
        if value in CLAUSE_WORDS:
            clause += 1
        display.append(shown)
        if value in STOPWORDS:
            continue
        words.append(value)
        stems.append(stem(value))
        sentences.append(sentence)
        clauses.append(clause)
        spans.append(len(display) - 1)
    before, after = _negation(words, clauses)
    return Tokens(tuple(words), tuple(stems), tuple(sentences), before, after, tuple(spans), tuple(display))


NEGATION_WINDOW = 4


def _is_negator(words: list[str], i: int) -> bool:
    word = words[i]
    following = words[i + 1] if i + 1 < len(words) else ""
    if word not in NEGATORS and word not in OBJECT_NEGATORS:
        return False
    if word in ("instead", "rather"):  # "instead of X", "rather than X"; "I'd rather profile" is not
        return following in ("of", "than")
    return following not in NEGATION_EXCEPTIONS


def _negation(words: list[str], clauses: list[int]) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """For each position: is a phrase starting there negated, and is a phrase ending there negated after it?

    Before: a negator within the 4 content words before it in its clause (an "and" / "or" carries a
    clause's negation on: "don't profile or check the database"), and an odd number of negators before it
    in the clause, so "can't fix it without profiling" is not a negation. After: "profiling is pointless",
    "caching won't help", within 4 words."""
    n = len(words)
    negator = [_is_negator(words, i) for i in range(n)]
    before = [False] * n
    active: list[int] = []  # negator positions in scope, in the current clause
    anchors: list[int] = []  # negators, and each "and" / "or" in a negated clause ("don't X or Y")
    for i in range(n):
        if i and clauses[i] != clauses[i - 1]:
            active, anchors = [], []
        if words[i] in ("and", "or"):
            active = [p for p in active if words[p] not in OBJECT_NEGATORS]
            anchors = [p for p in anchors if p in active or words[p] in ("and", "or", "nor")]
        near = any(i - p <= NEGATION_WINDOW for p in anchors)
        before[i] = near and len(active) % 2 == 1
        if negator[i]:
            active.append(i)
            anchors.append(i)
        elif words[i] in ("and", "or", "nor") and len(active) % 2 == 1:
            anchors.append(i)
    after = [False] * n
    for i in range(n):
        for j in range(i + 1, min(n, i + 1 + NEGATION_WINDOW)):
            if clauses[j] != clauses[i]:
                break
            if words[j] in POST_NEGATORS or (
                words[j] == "not" and words[j - 1] in ("is", "are", "was", "be")
            ):
                after[i] = True
                break
    return tuple(before), tuple(after)

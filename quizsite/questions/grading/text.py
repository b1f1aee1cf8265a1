"""Free text to tokens for rubric matching, with negation, sentence and clause marks and char offsets.

The same pipeline runs on a rubric's claims and on a learner's answer, so both meet in one form:
case-folded, accents stripped, numbers canonical ("10,000", "10k" and "ten thousand" are 10000; "99
percent" is 99%; "one in a hundred", "1 out of 100" and "a hundredth" are 1%; "99th percentile" and "P99"
are p99), code kept as code (`catch_response`, `@task`, `response.failure`, `=`), light stemming.
Every token keeps the character span it came from, so evidence quotes the learner's own characters.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

ARTICLES = frozenset({"a", "an", "the"})

# Words that hold a sentence together; an answer with almost none of them is a bag of keywords.
FUNCTION_WORDS = ARTICLES | frozenset(
    """
    is are was were be been being am isnt arent wasnt werent has have had hasnt havent do does did doesnt
    dont didnt can could will would should may might must shall cant cannot couldnt wont wouldnt shouldnt
    of to in on at by for with from into onto over under per than as about after before between through
    without within across against during until upon via
    it its they them their theirs this that these those you your we our us i me my he she his her
    which who whom whose what when where why how there here
    and or but so if because while then not no nor only just also more less most very too
    means meaning get gets make makes let lets use uses using keep keeps go goes take takes
    once each every all any some one both either neither other another such same
    """.split()
)

# Words whose scope is the rest of their clause ("don't bother profiling").
NEGATORS = frozenset(
    """
    not no never nor neither dont doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt cant cannot
    couldnt neednt mustnt hasnt havent hadnt aint nothing nobody none
    """.split()
)
# Words that negate only their object: scope ends at "and" / "or" too ("avoid guessing and profile").
OBJECT_NEGATORS = frozenset({"without", "avoid", "avoiding", "instead", "rather", "skip", "skipping"})
# "not only X but Y", "not just X but also Y": X is kept (when a "but" follows in the sentence).
ONLY_WORDS = frozenset({"only", "just", "merely", "simply"})
# A negator followed by one of these is not a negation ("no doubt", "no matter").
NEGATION_EXCEPTIONS = frozenset({"doubt", "matter", "wonder", "surprise"})
# After a claim, in its clause: "profiling is pointless", "that is wrong", "caching won't help".
POST_NEGATORS = frozenset(
    """
    isnt arent wasnt werent doesnt wont didnt unnecessary pointless useless overkill irrelevant waste
    wrong myth
    """.split()
)
# "X is not needed", "X does not help": an auxiliary and "not" after a claim negate it.
_AUXILIARIES = frozenset("is are was were be does do did will would can could should".split())
_ADVERBS = frozenset("still also really actually simply just necessarily always".split())  # "is still not"
# A clause begun by one of these ends where the main clause's subject comes ("if X is not there it fetches").
SUBORDINATORS = frozenset("if when whenever once unless until because since while before after".split())
SUBJECTS = frozenset("it they we i you he she".split())
CLAUSE_WORDS = frozenset(
    """
    but however although though whereas while unless because since so then otherwise except instead rather
    which who whereby yet before after until once when whenever if
    """.split()
)
NEGATION_WINDOW = 6

SYNONYMS: dict[str, str] = {
    "db": "database",
    "dbs": "database",
    "rdbms": "database",
    "mem": "memory",
    "ram": "memory",
    "perf": "performance",
    "asynchronous": "async",
    "asynchronously": "async",

    "flamegraph": "flame graph",
    "flamegraphs": "flame graph",
    "k8s": "kubernetes",
    "avg": "average",
    "req": "request",
    "reqs": "request",
    "rqs": "request",
    "msec": "ms",
    "msecs": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "sec": "second",
    "secs": "second",
    "pctl": "percentile",
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
    "equals": "=",
    "w/o": "without",
    "i/o": "io",
}
# Word pairs read as one word, so their parts cannot be matched alone ("half-open" is not "open").
COMPOUNDS = {
    ("half", "open"): "half-open",
    ("half", "opened"): "half-open",
    ("non", "blocking"): "nonblocking",
}
PHRASE_OPS = {("multiplied", "by"): "*", ("divided", "by"): "/", ("equal", "to"): "="}
_OPERATOR_STARTS = frozenset(a for a, _ in COMPOUNDS) | frozenset(a for a, _ in PHRASE_OPS) | {"x"}

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
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
_FRACTIONS = {"hundredth": 100, "hundredths": 100, "thousandth": 1_000, "thousandths": 1_000,
              "tenth": 10, "tenths": 10}
_NUMBER_WORDS = frozenset(
    [*_UNITS, *_TENS, *_ORDINAL_UNITS, *_ORDINAL_TENS, *_SCALES, "a", "one"]
)
_SUFFIXES = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}
_PERCENT_WORDS = frozenset({"percent", "pct"})

_TOKEN = re.compile(
    r"(?P<plain>(?!p[ -]?\d)[a-z]+(?![\w.'/(@]))"  # the common case first: a plain lowercase word
    r"|(?P<abbr>\b(?:e\.g|i\.e|etc|vs|approx|cf)\.)"
    r"|(?P<slash>\bw/o\b|\bi\s*/\s*o\b)"
    r"|(?P<pnum>\bp[ -]?(\d{2,3}(?:\.\d+)?)s?(?![\w]|\.\d))"  # p99, P 99, p99.9, P99s
    r"|(?P<num>(?:\d+(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<suffix>\s?%|(?:k|mn|bn|m)\b|(?:st|nd|rd|th)\b)?"
    # code: dotted names, @decorators, snake_case (a trailing "()" belongs to it), or ".method("
    r"|(?P<code>(?:@?[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+|@[a-z_][a-z0-9_]*"
    r"|[a-z0-9]*_[a-z0-9_]*[a-z0-9])(?:\(\))?"
    r"|(?<![\w.])\.[a-z_][a-z0-9_]*(?=\())"
    r"|(?P<word>[^\W_]+(?:'[^\W_]+)*)"
    r"|(?P<op>!=|<=|>=|[=×*/÷≠≤≥<>]|->|→)"
    r"|(?P<sentence>[.!?;]+(?=\s|$|[\"')\]])|\n\s*\n|\n(?=[ \t]*(?:[-*•]|\d+[.)])\s))"
    r"|(?P<clause>[,:()\[\]\"“”—–]|\s-\s|\n)"
)
_OPS = {"×": "*", "÷": "/", "->": "->", "→": "->", "≠": "!=", "≤": "<=", "≥": ">="}


def _number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


@dataclass(frozen=True)
class Tokens:
    """The tokens of a text (articles left out). Per token: kind (w word, n number, c code, o operator),
    surface form, matching key (a stem for words), sentence and clause number, character span in the
    original text, and negation marks. `articles` counts the articles left out."""

    text: str
    kinds: tuple[str, ...]
    words: tuple[str, ...]
    keys: tuple[str, ...]
    sentences: tuple[int, ...]
    clauses: tuple[int, ...]
    segments: tuple[int, ...]  # pieces between punctuation that structures notes (, : ; new lines), for salad
    groups: tuple[int, ...]  # the innermost parenthesis a token is in (0: none)
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    negator: tuple[bool, ...]  # the token negates what follows it (in scope)
    negated_before: tuple[bool, ...]  # a claim starting here is negated by a negator before it
    negated_after: tuple[bool, ...]  # a claim ending here is negated after it ("... is pointless")
    articles: int

    def __len__(self) -> int:
        return len(self.keys)

    def quote(self, start: int, end: int) -> str:
        """The learner's own characters from token `start` to token `end`, inclusive, shown on one line and
        without the backticks of Markdown code (a quote may cut a code span in half)."""
        quoted = self.text[self.starts[start] : self.ends[end]].replace("`", "")
        return _LINE_BREAKS.sub(" ", quoted).strip()


class _FoldTable(dict[int, str]):
    """str.translate table folding one character (case, accents, NFKC, curly apostrophes), filled on use.
    `uneven` holds the characters that fold to more or fewer than one character ("ﬁ" -> "fi")."""

    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[int] = set()

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "’ʼ´‘`":
            folded = "'"
        elif char in "≠≤≥":  # NFD would turn "≠" into "=" and a combining stroke
            folded = char
        else:
            folded = unicodedata.normalize("NFKC", char).casefold()
            folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
        if len(folded) != 1:
            self.uneven.add(code)
        if len(self) < 10_000:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def _normalise(text: str) -> tuple[str, list[int] | None]:
    """Case-folded text without accents, and for each of its characters the index in `text` (None when
    they are the same positions)."""
    if text.isascii():
        lowered = text.lower().replace("`", "'")
        return lowered, None
    folded_text = text.translate(_FOLD)
    if not _FOLD.uneven.intersection(map(ord, text)):  # every character folded to one: same positions
        return folded_text, None
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = _FOLD[ord(char)]
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets


# A raw token: (kind, surface value, start, end) where kind is w, n, c, o, sentence or clause.
Raw = tuple[str, str, int, int]


_FENCE = re.compile(r"'''.*?(?:'''|$)", re.S)  # ``` code blocks (backticks were read as quotes)


def _scan(norm: str) -> list[Raw]:
    result: list[Raw] = []
    fences = [m.span() for m in _FENCE.finditer(norm)] if "'''" in norm else []
    for match in _TOKEN.finditer(norm):
        kind = "num" if match.lastgroup == "suffix" else match.lastgroup
        start, end = match.span()
        value = match.group(0)
        if kind == "abbr":
            result.append(("w", value.replace(".", ""), start, end))
        elif kind == "slash":
            result.append(("w", "without" if value.startswith("w") else "io", start, end))
        elif kind == "pnum":
            digits = value.lstrip("p -").removesuffix("s")
            if len(digits) == 3:  # p999 -> p99.9
                digits = digits[:2] + "." + digits[2]
            result.append(("n", "p" + digits, start, end))
        elif kind == "num":
            suffix = (match.group("suffix") or "").strip()
            digits = match.group(0)[: len(match.group(0)) - len(match.group("suffix") or "")]
            number = float(digits.replace(",", ""))
            if suffix in _SUFFIXES:
                result.append(("n", _number_text(number * _SUFFIXES[suffix]), start, end))
            elif suffix == "%":
                result.append(("n", _number_text(number) + "%", start, end))
            elif suffix:
                result.append(("n", _number_text(number) + "th", start, end))
            else:
                result.append(("n", _number_text(number), start, end))
        elif kind == "code":
            result.append(("c", value.removesuffix("()"), start, end))
        elif kind == "plain":
            if value in SYNONYMS:
                for part in SYNONYMS[value].split():
                    result.append(("o" if part in "=*/" else "w", part, start, end))
            else:
                result.append(("w", value, start, end))
        elif kind == "word":
            word = value.replace("'", "")
            if word in SYNONYMS:
                parts = SYNONYMS[word].split()
                for part in parts:
                    result.append(("o" if part in "=*/" else "w", part, start, end))
            else:
                result.append(("w", word, start, end))
        elif kind == "op":
            result.append(("o", _OPS.get(value, value), start, end))
        elif kind == "clause" and value == "\n" and any(a <= start < b for a, b in fences):
            # each line of code is its own statement, but a decorator belongs to the def below it
            line = norm[norm.rfind("\n", 0, start) + 1 : start].strip()
            result.append(("clause" if line.startswith("@") else "sentence", value, start, end))
        else:
            result.append((kind, value, start, end))
    return result


def _is_number(raw: Raw) -> bool:
    return raw[0] == "n" and not raw[1].startswith("p") and raw[1][-1:].isdigit()


def _number_words(tokens: list[Raw]) -> list[Raw]:
    """ "ninety nine" -> 99, "ninety-ninth" -> 99th, "ten thousand" -> 10000, "a hundred" -> 100."""
    out: list[Raw] = []
    i = 0
    n = len(tokens)
    while i < n:
        kind, value, start, end = tokens[i]
        if kind == "w" and value not in _NUMBER_WORDS:  # most tokens: nothing to do
            out.append(tokens[i])
            i += 1
            continue
        nxt = tokens[i + 1][1] if i + 1 < n and tokens[i + 1][0] == "w" else ""
        number: float | None = None
        ordinal = False
        j = i
        if kind == "w" and value in _TENS:
            number = _TENS[value]
            if nxt in _UNITS and 0 < _UNITS[nxt] < 10:
                number, j = number + _UNITS[nxt], i + 1
            elif nxt in _ORDINAL_UNITS:
                number, ordinal, j = number + _ORDINAL_UNITS[nxt], True, i + 1
        elif kind == "w" and value in _ORDINAL_TENS:
            number, ordinal = _ORDINAL_TENS[value], True
        elif kind == "w" and value in _UNITS and value != "second":
            number = _UNITS[value]
        elif kind == "w" and value in ("a", "one") and (nxt in _SCALES or nxt in _FRACTIONS):
            number = 1
        elif kind == "w" and value in _SCALES:
            number = _SCALES[value]
        elif _is_number(tokens[i]):
            number = float(value)
        if number is None:
            out.append(tokens[i])
            i += 1
            continue
        while not ordinal and j + 1 < n and tokens[j + 1][0] == "w" and tokens[j + 1][1] in _SCALES:
            number *= _SCALES[tokens[j + 1][1]]
            j += 1
        end = tokens[j][3]
        if not ordinal and j + 1 < n and tokens[j + 1][0] == "w" and tokens[j + 1][1] in _FRACTIONS:
            # "a hundredth", "one thousandth", "five hundredths"
            j += 1
            share = _number_text(number * 100 / _FRACTIONS[tokens[j][1]])
            out.append(("n", share + "%", start, tokens[j][3]))
            i = j + 1
            continue
        text = _number_text(number) + ("th" if ordinal else "")
        out.append(("n", text, start, end))
        i = j + 1
    return out


_RATIO_NOUNS_NOT = frozenset(
    "ms s second seconds minute minutes min mins hour hours day days week weeks month months year years"
    .split()
)


def _ratio_end(tokens: list[Raw], i: int) -> tuple[float, int, int] | None:
    """After a number at i: "out of (every) 100", "in (every) 100", "of every 100" -> (100, last index, -1);
    with one noun between ("1 request in 100", "one call out of every hundred") the noun's index instead of
    -1, when the base is a power of ten of at least 100 and not a duration ("3 requests in 10 minutes")."""
    n = len(tokens)

    def word(k: int) -> str | None:
        return tokens[k][1] if k < n and tokens[k][0] == "w" else None

    j = i + 1
    noun = -1
    if word(j) and word(j) not in ("out", "in", "of") and word(j) not in FUNCTION_WORDS:
        noun, j = j, j + 1
    if word(j) == "out" and word(j + 1) == "of":
        j += 2
    elif word(j) == "in":
        j += 1
    elif word(j) == "of" and word(j + 1) in ("every", "each"):
        j += 1
    else:
        return None
    while word(j) in ("every", "each", "a"):
        j += 1
    if j < n and _is_number(tokens[j]) and not tokens[j][1].endswith("%"):
        base = float(tokens[j][1])
        if noun >= 0 and (base < 100 or math.log10(base) % 1 or word(j + 1) in _RATIO_NOUNS_NOT):
            return None
        return base, j, noun
    return None
    while j < n and words[j] in ("every", "each", "a"):
        j += 1
    if j < n and _is_number(tokens[j]) and not tokens[j][1].endswith("%"):
        return float(tokens[j][1]), j
    return None


def _numbers(tokens: list[Raw]) -> list[Raw]:
    """Percentages, ratios and percentiles in one form: "99 percent" -> 99%, "1 in 100" -> 1%,
    "99th percentile" -> p99."""
    tokens = _number_words(tokens)
    out: list[Raw] = []
    i = 0
    n = len(tokens)
    while i < n:
        kind, value, start, end = tokens[i]
        if kind != "n":
            out.append(tokens[i])
            i += 1
            continue
        nxt = tokens[i + 1] if i + 1 < n else ("", "", 0, 0)
        if kind == "n" and (value.endswith("th") or _is_number(tokens[i]) or value.endswith("%")) \
                and nxt[0] == "w" and nxt[1] in ("percentile", "percentiles"):
            out.append(("n", "p" + value.removesuffix("th").removesuffix("%"), start, nxt[3]))
            i += 2
            continue
        if _is_number(tokens[i]):
            if nxt[0] == "w" and nxt[1] in _PERCENT_WORDS:
                out.append(("n", value + "%", start, nxt[3]))
                i += 2
                continue
            if nxt[0] == "w" and nxt[1] == "per" and i + 2 < n and tokens[i + 2][1] == "cent":
                out.append(("n", value + "%", start, tokens[i + 2][3]))
                i += 3
                continue
            ratio = _ratio_end(tokens, i)
            if ratio and ratio[0] >= 2 and 0 < float(value) <= ratio[0]:
                share = float(value) * 100 / ratio[0]
                last, noun = ratio[1], ratio[2]
                if noun < 0:
                    out.append(("n", _number_text(round(share, 4)) + "%", start, tokens[last][3]))
                else:  # "one request out of every hundred" -> 1% request
                    out.append(("n", _number_text(round(share, 4)) + "%", start, tokens[i][3]))
                    out.append(tokens[noun])
                i = last + 1
                continue
        out.append(tokens[i])
        i += 1
    return out


def _operators(tokens: list[Raw], norm: str) -> list[Raw]:
    """ "multiplied by" -> *, "divided by" -> /, "equal to" -> =, a lone "x" between words -> *; and
    COMPOUNDS joined."""
    out: list[Raw] = []
    i = 0
    n = len(tokens)
    while i < n:
        kind, value, start, end = tokens[i]
        if value not in _OPERATOR_STARTS:
            out.append(tokens[i])
            i += 1
            continue
        if kind == "w" and i + 1 < n and (value, tokens[i + 1][1]) in COMPOUNDS:
            out.append(("w", COMPOUNDS[(value, tokens[i + 1][1])], start, tokens[i + 1][3]))
            i += 2
            continue
        if kind == "w" and i + 1 < n and (value, tokens[i + 1][1]) in PHRASE_OPS:
            out.append(("o", PHRASE_OPS[(value, tokens[i + 1][1])], start, tokens[i + 1][3]))
            i += 2
            continue
        if (
            kind == "w"
            and value == "x"
            and 0 < i < n - 1
            and tokens[i - 1][0] in ("w", "n")
            and tokens[i + 1][0] in ("w", "n")
            and norm[start - 1 : start].isspace()
            and norm[end : end + 1].isspace()
        ):
            out.append(("o", "*", start, end))
            i += 1
            continue
        out.append(tokens[i])
        i += 1
    return out


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


# Words whose stem would meet another word: "meaning" and "means" (to signify) are not "mean" (the average).
_STEM_KEPT = frozenset({"meaning", "means", "meant"})


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light stemmer: plurals, -ing, -ed, -ly, British -ise and a final -e, so "caches", "caching",
    "cached" and "cache" share "cach". Words with digits and short words are left alone."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word in _STEM_KEPT:
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


def key_of(kind: str, word: str) -> str:
    """The form two tokens must share to match: a stem for words, the value itself otherwise."""
    return stem(word) if kind == "w" else word


_LINE_BREAKS = re.compile(r"[ \t]*\n\s*")
_QUOTES_AND_PARENS = frozenset('()"“”')


def tokenize(text: str) -> Tokens:
    """Tokens for matching, with sentences, clauses and negation worked out per position."""
    norm, offsets = _normalise(text)
    raw = _operators(_numbers(_scan(norm)), norm)
    kinds: list[str] = []
    words: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    segments: list[int] = []
    groups: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    sentence = clause = segment = articles = 0
    opened: list[int] = []  # the parentheses open here, innermost last
    parens = 0
    subordinate = False  # the clause began with "if", "when"...: its subject pronoun starts the main clause
    in_clause = 0
    for kind, value, start, end in raw:
        if kind == "sentence":
            sentence += 1
            clause += 1
            segment += 1
            opened, subordinate, in_clause = [], False, 0
            continue
        if kind == "clause":
            clause += 1
            segment += value not in _QUOTES_AND_PARENS
            if value in "([":
                parens += 1
                opened.append(parens)
            elif value in ")]" and opened:
                opened.pop()
            subordinate, in_clause = False, 0
            continue
        if kind == "w" and value in ARTICLES:
            articles += 1
            continue
        if kind == "w" and value in CLAUSE_WORDS:
            clause += 1
            subordinate, in_clause = value in SUBORDINATORS, 0
        elif subordinate and in_clause >= 2 and kind == "w" and value in SUBJECTS:
            clause += 1  # "if the key is not there | it fetches from the database"
            subordinate, in_clause = False, 0
        in_clause += 1
        kinds.append(kind)
        words.append(value)
        sentences.append(sentence)
        clauses.append(clause)
        segments.append(segment)
        groups.append(opened[-1] if opened else 0)
        if offsets is None:
            starts.append(start)
            ends.append(end)
        else:
            starts.append(offsets[start] if start < len(offsets) else len(text))
            ends.append(offsets[end - 1] + 1 if 0 < end <= len(offsets) else len(text))
    keys = [stem(w) if k == "w" else w for k, w in zip(kinds, words)]  # key_of, inlined: it runs per token
    negator = _negators(words, kinds, sentences)
    before, after = _negation(words, clauses, negator)
    return Tokens(
        text,
        tuple(kinds),
        tuple(words),
        tuple(keys),
        tuple(sentences),
        tuple(clauses),
        tuple(segments),
        tuple(groups),
        tuple(starts),
        tuple(ends),
        tuple(negator),
        before,
        after,
        articles,
    )


def _negators(words: list[str], kinds: list[str], sentences: list[int]) -> list[bool]:
    """Which tokens negate what follows them."""
    n = len(words)
    result = [False] * n
    for i, word in enumerate(words):
        if kinds[i] != "w" or (word not in NEGATORS and word not in OBJECT_NEGATORS):
            continue
        following = words[i + 1] if i + 1 < n else ""
        if word in ("instead", "rather"):  # "instead of X", "rather than X"; "I'd rather profile" is not
            result[i] = following in ("of", "than")
            continue
        if following in NEGATION_EXCEPTIONS or (word == "not" and following == "in"):
            continue  # "no doubt"; code's `"error" not in data` is an operator, not a negation
        if following in ONLY_WORDS:
            # "not only X but Y" keeps X; "I wouldn't just add servers." negates it.
            rest = range(i + 2, n)
            result[i] = not any(words[k] == "but" and sentences[k] == sentences[i] for k in rest)
            continue
        if following in ("more", "less", "fewer", "later", "earlier", "higher", "lower") and (
            i + 2 < n and words[i + 2] == "than"
        ):
            continue  # "no more than 1 in 100 is slower" is a bound, not a negation
        result[i] = True
    return result


def _negation(
    words: list[str], clauses: list[int], negator: list[bool]
) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """For each position: is a claim starting there negated (an odd number of negators in scope before it,
    in its clause, the nearest within NEGATION_WINDOW tokens), and is a claim ending there negated after
    it ("profiling is pointless", "caching won't help", within 4 tokens of its clause)."""
    n = len(words)
    before = [False] * n
    active: list[int] = []
    first = negator.index(True) if True in negator else n  # nothing before the first negator is negated
    for i in range(first, n):
        if i and clauses[i] != clauses[i - 1]:
            active = []
        if words[i] in ("and", "or", "but") and active:
            active = [p for p in active if words[p] not in OBJECT_NEGATORS]
        if active and i - active[-1] <= NEGATION_WINDOW:
            before[i] = len(active) % 2 == 1
        if negator[i]:
            active.append(i)
    after = [False] * n
    for j, word in enumerate(words):
        if word in POST_NEGATORS or (
            word == "not"
            and j
            and (
                words[j - 1] in _AUXILIARIES
                or (j > 1 and words[j - 1] in _ADVERBS and words[j - 2] in _AUXILIARIES)
            )
        ):
            # a claim ending up to 4 tokens before it, in its clause, is negated
            for i in range(j - 1, max(-1, j - 5), -1):
                if clauses[i] != clauses[j]:
                    break
                after[i] = True
    return tuple(before), tuple(after)

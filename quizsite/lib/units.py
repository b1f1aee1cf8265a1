"""Quantities with units: parse what a learner types ("10k", "2000 ms", "1,450 req/s") and format numbers.

Pure and dependency-free. Each unit belongs to a dimension (time, rate, percentage, data size, bandwidth,
count) and has a factor to that dimension's base unit (s, req/s, fraction, byte, byte/s, 1).
A bare number is read in the expected unit; a unit of another dimension is an error with a message a
learner can act on.
"""

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_INPUT_CHARS = 100


class Dimension(StrEnum):
    TIME = "time"
    RATE = "rate"
    FRACTION = "fraction"
    DATA = "data size"
    BANDWIDTH = "bandwidth"
    COUNT = "count"


# How a dimension is named in messages, with an example a learner could type.
DESCRIPTIONS: dict[Dimension, tuple[str, str]] = {
    Dimension.TIME: ("a time", "200 ms"),
    Dimension.RATE: ("a rate", "1,450 req/s"),
    Dimension.FRACTION: ("a percentage", "99.9%"),
    Dimension.DATA: ("a data size", "512 MB"),
    Dimension.BANDWIDTH: ("a bandwidth", "100 MB/s"),
    Dimension.COUNT: ("a plain number", "10,000"),
}


@dataclass(frozen=True)
class Unit:
    """A unit: the symbol it is displayed with, its dimension and its size in the dimension's base unit."""

    symbol: str
    dimension: Dimension
    factor: float

    @property
    def joined(self) -> bool:
        """True when the symbol is written without a space after the number ("99.9%", "4x")."""
        return self.symbol in ("%", "x")


class UnitError(ValueError):
    """Text that cannot be read as a quantity of the expected dimension; str(error) is for the learner."""


@dataclass(frozen=True)
class Quantity:
    """A parsed answer: its value in the expected unit, and the number and unit as the learner wrote them."""

    value: float
    given_value: float
    given_unit: Unit


def _aliases() -> dict[str, Unit]:
    table: dict[str, Unit] = {}

    def add(symbol: str, dimension: Dimension, factor: float, *names: str) -> None:
        unit = Unit(symbol, dimension, factor)
        for name in (symbol, *names):
            table[_key(name)] = unit

    time = Dimension.TIME
    add("ns", time, 1e-9, "nsec", "nanosecond", "nanoseconds")
    add("µs", time, 1e-6, "us", "μs", "usec", "microsecond", "microseconds")
    add("ms", time, 1e-3, "msec", "msecs", "millisecond", "milliseconds")
    add("s", time, 1.0, "sec", "secs", "second", "seconds")
    add("min", time, 60.0, "m", "mins", "minute", "minutes")
    add("h", time, 3600.0, "hr", "hrs", "hour", "hours")
    add("d", time, 86400.0, "day", "days")

    rate = Dimension.RATE
    numerators = (
        "",
        "r",
        "q",
        "req",
        "reqs",
        "request",
        "requests",
        "query",
        "queries",
        "call",
        "calls",
        "hit",
        "hits",
        "op",
        "ops",
        "tx",
        "transaction",
        "transactions",
        "msg",
        "msgs",
        "message",
        "messages",
        "event",
        "events",
    )
    periods = {
        ("req/s", 1.0): ("s", "sec", "second"),
        ("req/min", 1 / 60): ("m", "min", "minute"),
        ("req/h", 1 / 3600): ("h", "hr", "hour"),
        ("req/day", 1 / 86400): ("d", "day"),
    }
    for (symbol, factor), names in periods.items():
        add(symbol, rate, factor, *(f"{n}/{p}" for n in numerators for p in names))
    add("req/s", rate, 1.0, "rps", "qps", "tps", "ops")
    add("req/min", rate, 1 / 60, "rpm", "qpm")
    # An LLM server's throughput; the same dimension (a count per second), shown as what it counts.
    add("tokens/s", rate, 1.0, "token/s", "tok/s", "tokens/sec", "tokens/second", "tokens per second")
    add("req/h", rate, 1 / 3600, "rph")

    fraction = Dimension.FRACTION
    add("%", fraction, 0.01, "percent", "per cent", "pct")

    data = Dimension.DATA
    add("B", data, 1.0, "byte", "bytes")
    for prefix, power, name in (
        ("K", 1, "kilo"),
        ("M", 2, "mega"),
        ("G", 3, "giga"),
        ("T", 4, "tera"),
        ("P", 5, "peta"),
    ):
        add(f"{prefix}B", data, 1000.0**power, f"{name}byte", f"{name}bytes")
        add(f"{prefix}iB", data, 1024.0**power, f"{name[:2]}bibyte", f"{name[:2]}bibytes")

    bandwidth = Dimension.BANDWIDTH
    add("B/s", bandwidth, 1.0, "bytes/s", "bytes/sec", "bytes/second")
    for prefix, power in (("K", 1), ("M", 2), ("G", 3), ("T", 4)):
        add(f"{prefix}B/s", bandwidth, 1000.0**power, f"{prefix}B/sec")
        add(f"{prefix}iB/s", bandwidth, 1024.0**power)
        # "Mbps" is megabits, as network people write it; "MB/s" is megabytes.
        add(f"{prefix}bit/s", bandwidth, 1000.0**power / 8, f"{prefix}bps", f"{prefix}bits/s")
    add("bit/s", bandwidth, 1 / 8, "bps", "bits/s")

    count = Dimension.COUNT
    add("", count, 1.0)
    add("x", count, 1.0, "×", "times")
    for noun in COUNT_NOUNS:
        add(noun, count, 1.0)
    return table


def _plural(word: str) -> str:
    irregular = {"person": "people", "process": "processes", "query": "queries"}
    return irregular.get(word, f"{word}s")


# Words that may follow a plain count ("10,000 users"); any of them may also be a question's unit.
COUNT_NOUNS = tuple(
    word
    for singular in (
        "request",
        "req",
        "query",
        "user",
        "server",
        "replica",
        "instance",
        "machine",
        "node",
        "pod",
        "worker",
        "connection",
        "thread",
        "process",
        "core",
        "cpu",
        "host",
        "item",
        "error",
        "failure",
        "call",
        "person",
        "customer",
        "session",
        "message",
        "event",
        "record",
        "row",
        "task",
        "job",
        "container",
        "vm",
        "gpu",
        "partition",
        "shard",
    )
    for word in (singular, _plural(singular))
)


def _key(text: str) -> str:
    """A unit as typed, reduced to a lookup key: case-folded, micro sign as "u", spacing around / removed."""
    text = text.strip().replace("µ", "u").replace("μ", "u").casefold()
    text = re.sub(r"\s+per\s+|^per\s+", "/", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s+", " ", text).rstrip(".")


_UNITS: dict[str, Unit] = {}

# Scale words after a number: "10k", "3.2 M", "2bn". "m" and "b" are resolved by the expected dimension
# ("5m" is 5 minutes when a time is expected and 5 million otherwise; "5B" is bytes or a billion).
_MULTIPLIERS: dict[str, float] = {
    "thousand": 1e3,
    "thousands": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mil": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
}
_MULTIPLIER_ORDER = sorted(_MULTIPLIERS, key=len, reverse=True)


def lookup_unit(symbol: str) -> Unit | None:
    """The unit for a symbol or alias ("ms", "req/s", "%", "GiB", "users", ""); None when unknown."""
    if not _UNITS:
        _UNITS.update(_aliases())
    return _UNITS.get(_key(symbol))


def unit_or_error(symbol: str) -> Unit:
    unit = lookup_unit(symbol)
    if unit is None:
        raise UnitError(f"Unknown unit {symbol!r}.")
    return unit


def describe(dimension: Dimension) -> str:
    name, example = DESCRIPTIONS[dimension]
    return f"{name} such as {example}"


_APPROX = re.compile(r"^(?:~|≈|about\s|around\s|approx\.?\s|approximately\s|roughly\s)\s*", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?P<mantissa>\d+(?:[,_ ']\d+)*(?:\.\d*)?|\.\d+)"
    r"(?:[eE](?P<exp>[+-]?\d{1,6})(?![\d]))?"
    r"(?:\s*[x×*]\s*10\s*(?:\^|\*\*)\s*(?P<pow>[+-]?\d{1,6}))?"
)
_NOT_FINITE = re.compile(r"^[+-]?(nan|inf|infinity|∞)$", re.IGNORECASE)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-")
    text = "".join(" " if unicodedata.category(ch) in ("Zs", "Cc", "Cf") else ch for ch in text)
    text = _APPROX.sub("", text.strip()).strip()
    if len(text) > 1 and text.endswith(".") and not text[-2].isdigit():
        text = text[:-1].rstrip()
    return text


def _mantissa(raw: str) -> str:
    """Digits with thousands separators removed; UnitError when the grouping is ambiguous."""
    integer, dot, fraction = raw.partition(".")
    separators = set(re.findall(r"[,_ ']", integer))
    if not separators:
        return raw
    groups = re.split(r"[,_ ']", integer)
    three_digit = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if len(separators) > 1 or not three_digit:
        if separators == {","} and len(groups) == 2 and not dot:
            raise UnitError(
                f"{raw!r} is ambiguous: write decimals with a point ({groups[0]}.{groups[1]}); "
                "a comma is read only as a thousands separator (1,500)."
            )
        raise UnitError(f"Could not read {raw!r} as a number: group thousands in threes (10,000 or 10 000).")
    return "".join(groups) + dot + fraction


def _candidates(rest: str, expected: Unit) -> list[tuple[float, Unit]]:
    """Every way to read the text after a number as (multiplier, unit), best first."""
    found: list[tuple[float, Unit]] = []
    if not rest:
        return [(1.0, expected)]
    unit = lookup_unit(rest)
    if unit is not None:
        found.append((1.0, unit))
    key = _key(rest)
    for word in _MULTIPLIER_ORDER:
        if not key.startswith(word):
            continue
        remainder = key[len(word) :].strip()
        if len(word) > 1 and key[len(word) :][:1].isalpha():
            continue  # "thousands" is not "thousand" + "s"
        tail = expected if not remainder else lookup_unit(remainder)
        if tail is not None:
            found.append((_MULTIPLIERS[word], tail))
    return found


def parse_quantity(response: object, expected_unit: str = "") -> Quantity:
    """Read a learner's answer as a quantity in `expected_unit`; UnitError (with a message) otherwise."""
    expected = unit_or_error(expected_unit)
    is_number = isinstance(response, numbers.Number) and not isinstance(response, (bool, complex))
    if not (is_number or isinstance(response, str)):
        if isinstance(response, (list, tuple, set, dict)):
            raise UnitError("Enter a single number.")
        raise UnitError("Enter a number, for example " + DESCRIPTIONS[expected.dimension][1] + ".")
    if is_number:
        try:
            value = float(response)
        except (OverflowError, ValueError, TypeError):
            raise UnitError("That number is too large.") from None
        return Quantity(_finite(value), _finite(value), expected)
    if len(response) > MAX_INPUT_CHARS:
        raise UnitError(f"That is too long for a number ({len(response):,} characters).")
    text = _clean(response)
    if not text:
        raise UnitError("Enter a number first.")
    if _NOT_FINITE.match(text):
        raise UnitError("Enter a finite number.")
    match = _NUMBER.match(text)
    if match is None:
        raise UnitError(f"Could not read {text!r} as a number; try something like {_example(expected)}.")
    mantissa = _mantissa(match["mantissa"])
    exponent = int(match["exp"] or 0) + int(match["pow"] or 0)
    if abs(exponent) > 400:
        raise UnitError("That number is too large." if exponent > 0 else "That number is too small.")
    number = _finite(float(f"{match['sign']}{mantissa}e{exponent}"))
    rest = text[match.end() :].strip()
    if re.match(r"^,\d", rest):
        raise UnitError(
            f"{text!r} is ambiguous: write decimals with a point and thousands with commas (1,500.5)."
        )
    if re.match(r"^[-–~]\s*\d", rest) or re.match(r"^(to|or|and)\s+\d", rest, re.IGNORECASE):
        raise UnitError("Give one number, not a range.")
    candidates = _candidates(rest, expected)
    if not candidates:
        raise UnitError(f"Unknown unit {rest!r}; expected {describe(expected.dimension)}.")
    for multiplier, unit in candidates:
        if unit.dimension == expected.dimension:
            given = _finite(number * multiplier)
            return Quantity(_tidy(_finite(given * unit.factor / expected.factor)), given, unit)
    other = candidates[0][1]
    raise UnitError(
        f"Expected {describe(expected.dimension)}, got {DESCRIPTIONS[other.dimension][0]} ({rest})."
    )


def _tidy(value: float) -> float:
    """Drop conversion noise below 12 significant figures (5 µs in ms is 0.005, not 0.004999…)."""
    return float(f"{value:.12g}")


def _finite(value: float) -> float:
    if math.isnan(value):
        raise UnitError("Enter a finite number.")
    if math.isinf(value):
        raise UnitError("That number is too large.")
    return value


def _example(unit: Unit) -> str:
    return DESCRIPTIONS[unit.dimension][1]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """`value` in `from_unit` expressed in `to_unit`; UnitError when the dimensions differ."""
    source, target = unit_or_error(from_unit), unit_or_error(to_unit)
    if source.dimension != target.dimension:
        raise UnitError(f"Cannot convert {source.dimension} to {target.dimension}.")
    return _tidy(value * source.factor / target.factor)


def format_number(value: float, sig: int = 3) -> str:
    """A number for people: thousands separators, `sig` significant figures for fractional parts,
    integer digits never replaced by zeros, no trailing ".0" ("1,450", "238", "1.23", "0.00123")."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 15 or magnitude < -6:
        mantissa, _, exponent = f"{value:.{max(sig - 1, 0)}e}".partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    decimals = max(0, sig - 1 - magnitude)
    text = f"{round(value, decimals):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_quantity(value: float, unit: str = "", sig: int = 3) -> str:
    """A number with its unit: "238 ms", "1,450 req/s", "1.2 s", "99.9%", "4x"."""
    known = lookup_unit(unit)
    if known is None or (known.dimension == Dimension.COUNT and not known.joined):
        symbol = unit.strip()
    else:
        symbol = known.symbol
    number = format_number(value, sig)
    if not symbol:
        return number
    if known is not None and known.joined:
        return f"{number}{symbol}"
    return f"{number} {symbol}"

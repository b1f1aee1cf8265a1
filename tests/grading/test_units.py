"""Reading quantities the way people type them, and formatting numbers the way people read them."""

import pytest

from quizsite.lib.units import (
    Dimension,
    UnitError,
    convert,
    format_number,
    format_quantity,
    lookup_unit,
    parse_quantity,
)


@pytest.mark.parametrize(
    "text",
    [
        "10000",
        "10,000",
        "10 000",
        "10\u00a0000",
        "10\u202f000",
        "10_000",
        "10k",
        "10K",
        "1e4",
        "1E4",
        "10 k",
        "10 thousand",
        "1.0e4",
        "+10000",
        "~10000",
        "about 10,000",
        "10000.",
        "1×10^4",
    ],
)
def test_count_spellings(text):
    """Thousands separators, k suffixes and exponents all read as ten thousand."""
    assert parse_quantity(text, "").value == 10_000


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("2 s", "ms", 2000),
        ("2s", "ms", 2000),
        ("2000ms", "s", 2),
        ("2000 ms", "s", 2),
        ("2000 msec", "s", 2),
        ("250 µs", "ms", 0.25),
        ("250 μs", "ms", 0.25),
        ("250us", "ms", 0.25),
        ("5 µs", "ms", 0.005),
        ("1.5 min", "s", 90),
        ("2 minutes", "s", 120),
        ("1 h", "min", 60),
        ("3 hours", "s", 10_800),
        ("1 day", "h", 24),
        ("238", "ms", 238),
        ("0.238 s", "ms", 238),
    ],
)
def test_times_convert_to_the_expected_unit(text, unit, expected):
    """A time in any unit is converted into the question's unit."""
    assert parse_quantity(text, unit).value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,450 req/s", 1450),
        ("1450 rps", 1450),
        ("450 qps", 450),
        ("450 requests/s", 450),
        ("450 requests per second", 450),
        ("450 req / sec", 450),
        ("450/s", 450),
        ("27,000 requests/min", 450),
        ("27000 rpm", 450),
        ("27k req/min", 450),
        ("3.2M req/s", 3_200_000),
        ("3.2 M", 3_200_000),
        ("1.62M req/h", 450),
        ("86.4M req/day", 1000),
        ("450", 450),
    ],
)
def test_rates_convert_to_requests_per_second(text, expected):
    """Rates per minute, hour or day are converted to req/s; a bare number is already req/s."""
    assert parse_quantity(text, "req/s").value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1.5%", "%", 1.5),
        ("99.9 %", "%", 99.9),
        ("99.9 percent", "%", 99.9),
        ("0.5", "%", 0.5),
        ("1 GB", "MB", 1000),
        ("1 GiB", "MiB", 1024),
        ("1 GiB", "MB", 1073.741824),
        ("512KB", "B", 512_000),
        ("512 kB", "KiB", 500),
        ("2 TB", "GB", 2000),
        ("5B", "B", 5),
        ("5 bytes", "KB", 0.005),
        ("100 Mbps", "MB/s", 12.5),
        ("4x", "x", 4),
        ("4 ×", "x", 4),
        ("4 times", "x", 4),
        ("4", "x", 4),
        ("5B", "", 5e9),
        ("2bn", "", 2e9),
        ("1 million", "", 1e6),
        ("5m", "", 5e6),
        ("5m", "s", 300),
        ("10,000 users", "", 10_000),
        ("12 servers", "servers", 12),
        ("1 server", "servers", 1),
        ("1,000,000.5", "", 1_000_000.5),
        ("-0", "", 0),
        ("-3.5", "", -3.5),
        (".5", "", 0.5),
        ("１２３", "", 123),
    ],
)
def test_other_dimensions_and_suffixes(text, unit, expected):
    """Percentages, data sizes (decimal and binary), factors, counts and scale words."""
    assert parse_quantity(text, unit).value == pytest.approx(expected)


def test_b_after_a_number_depends_on_the_expected_dimension():
    """ "5B" is five bytes when a data size is expected and five billion for a plain count."""
    assert parse_quantity("5B", "GB").value == pytest.approx(5e-9)
    assert parse_quantity("5B", "").value == 5e9


def test_python_numbers_are_taken_in_the_expected_unit():
    """An int or float response is already in the question's unit."""
    assert parse_quantity(238, "ms").value == 238
    assert parse_quantity(0.5, "s").value == 0.5


def test_quantity_remembers_how_it_was_written():
    """The parsed quantity keeps the learner's own number and unit for feedback."""
    quantity = parse_quantity("0.21 s", "ms")
    assert (quantity.value, quantity.given_value, quantity.given_unit.symbol) == (210, 0.21, "s")


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("200 req/s", "ms", "Expected a time such as 200 ms, got a rate"),
        ("200 ms", "req/s", "Expected a rate such as 1,450 req/s, got a time"),
        ("5 MB", "ms", "got a data size"),
        ("1.5%", "", "got a percentage"),
        ("10 users", "ms", "got a plain number"),
        ("1,5", "", "ambiguous"),
        ("1,50", "", "ambiguous"),
        ("1.500,5", "", "ambiguous"),
        ("10,00,000", "", "group thousands in threes"),
        ("1 5", "", "group thousands in threes"),
        ("NaN", "", "finite"),
        ("nan", "", "finite"),
        ("inf", "", "finite"),
        ("-Infinity", "", "finite"),
        ("1e999", "", "too large"),
        ("-1e999", "", "too large"),
        ("1e308 k", "", "too large"),
        ("200-250 ms", "ms", "not a range"),
        ("200 to 250", "ms", "not a range"),
        ("200 furlongs", "ms", "Unknown unit 'furlongs'"),
        ("fast", "ms", "Could not read 'fast'"),
        ("", "ms", "Enter a number first"),
        ("   ", "ms", "Enter a number first"),
        ("\x00", "", "Enter a number first"),
        ("1" * 101, "", "too long"),
    ],
)
def test_unreadable_answers_say_why(text, unit, message):
    """Text that is not a quantity of the expected dimension raises UnitError with a useful message."""
    with pytest.raises(UnitError, match=message):
        parse_quantity(text, unit)


@pytest.mark.parametrize(
    "response", [None, [1, 2], {"a": 1}, b"10", True, float("nan"), float("inf"), 10**400]
)
def test_non_text_responses_are_rejected(response):
    """Only text and real numbers are quantities; NaN, infinities and booleans are not."""
    with pytest.raises(UnitError):
        parse_quantity(response, "ms")


def test_unknown_expected_unit_is_an_error():
    """Asking for a unit that does not exist is a programming error, not a parse."""
    with pytest.raises(UnitError, match="Unknown unit"):
        parse_quantity("1", "furlongs")


@pytest.mark.parametrize(
    ("symbol", "dimension", "canonical"),
    [
        ("ms", Dimension.TIME, "ms"),
        ("rps", Dimension.RATE, "req/s"),
        ("%", Dimension.FRACTION, "%"),
        ("GiB", Dimension.DATA, "GiB"),
        ("", Dimension.COUNT, ""),
        ("users", Dimension.COUNT, "users"),
        ("Mbps", Dimension.BANDWIDTH, "Mbit/s"),
    ],
)
def test_lookup_unit(symbol, dimension, canonical):
    """Aliases resolve to one canonical unit of the right dimension."""
    unit = lookup_unit(symbol)
    assert (unit.dimension, unit.symbol) == (dimension, canonical)


def test_lookup_unknown_unit_is_none():
    """An unknown symbol is not a unit."""
    assert lookup_unit("furlongs") is None


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (238.4, "ms", "238 ms"),
        (1450, "req/s", "1,450 req/s"),
        (1450, "rps", "1,450 req/s"),
        (1.2, "s", "1.2 s"),
        (1.0, "s", "1 s"),
        (99.9, "%", "99.9%"),
        (4, "x", "4x"),
        (10_000, "users", "10,000 users"),
        (10_000, "", "10,000"),
        (123_456.7, "", "123,457"),
        (0.001234, "", "0.00123"),
        (-0.0, "ms", "0 ms"),
        (2.5e-9, "s", "2.5e-9 s"),
        (1e20, "", "1e20"),
        (512, "MB", "512 MB"),
    ],
)
def test_format_quantity(value, unit, text):
    """Numbers get thousands separators, three significant figures, no trailing zeros, and their unit."""
    assert format_quantity(value, unit) == text


@pytest.mark.parametrize(
    ("value", "sig", "text"),
    [
        (1234.5678, 6, "1,234.57"),
        (0.99999, 3, "1"),
        (0.99999, 5, "0.99999"),
        (9.996, 3, "10"),
        (-1450.2, 3, "-1,450"),
        (float("inf"), 3, "∞"),
        (float("nan"), 3, "NaN"),
        (0, 3, "0"),
    ],
)
def test_format_number(value, sig, text):
    """Significant figures apply to fractions; integer digits are never replaced by zeros."""
    assert format_number(value, sig) == text


def test_convert_between_units():
    """convert() changes units within a dimension and refuses to cross dimensions."""
    assert convert(238, "ms", "s") == 0.238
    assert convert(1, "GiB", "MiB") == 1024
    with pytest.raises(UnitError, match="Cannot convert"):
        convert(1, "ms", "req/s")


def test_tokens_per_second_is_a_rate_shown_as_tokens():
    """An LLM server's throughput: "190 tokens/s", with the usual short forms."""
    for text in ("190 tokens/s", "190 tok/s", "190 tokens per second", "190"):
        quantity = parse_quantity(text, "tokens/s")
        assert quantity.value == 190.0, text
    assert format_quantity(1450.0, "tokens/s") == "1,450 tokens/s"

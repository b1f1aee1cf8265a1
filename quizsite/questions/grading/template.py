"""Fill {{ name }} placeholders in prompts and explanations with a variant's numbers."""

import math
import re
from collections.abc import Mapping

from quizsite.lib.units import format_number

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def format_value(value: object) -> str:
    """A variable as a person would write it: "1,000", "0.99", "238.4"; non-numbers as text.

    Whole numbers keep every digit; fractions get 4 significant figures, more when that would
    round a non-integer to an integer (0.99999 stays 0.99999, not 1).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value) or float(value).is_integer():
        return format_number(value, sig=4) if not math.isfinite(value) else f"{int(value):,}"
    for sig in range(4, 16):
        text = format_number(value, sig)
        if "." in text or "e" in text or abs(value) >= 10**sig:
            return text
    return format_number(value, 15)


def render_template(text: str, variables: Mapping[str, object]) -> str:
    """Replace {{ name }} and {{name}} with the formatted value; unknown names are left as they are."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        return format_value(variables[name]) if name in variables else match.group(0)

    return _PLACEHOLDER.sub(fill, text)

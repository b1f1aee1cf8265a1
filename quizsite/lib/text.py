"""Text hygiene: characters no text input may carry.

Refused everywhere: C0 control characters except tab, newline and carriage return (NUL among them, which
PostgreSQL cannot store), DEL, the C1 controls, and lone UTF-16 surrogates (which no UTF-8 database can
store). Tab, newline and carriage return are kept: answers, notes and card backs are multi-line text, and
the single-line fields that must not hold them (usernames) have validators of their own.
"""

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first forbidden character in the text as "U+0000", or None when the text is clean."""
    match = FORBIDDEN.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def control_character_message(text: str) -> str | None:
    """Why the text is refused, or None when it is clean."""
    found = forbidden_character(text)
    if found is None:
        return None
    return f"Contains a control character ({found}), which is not allowed. Remove it and try again."


def find_in_data(data, path: str = "") -> dict[str, str]:
    """Every string in parsed JSON (keys included) that carries a forbidden character, by dotted path
    ("answer", "api.cpu_ms", "answer.1"), with the reason."""
    problems: dict[str, str] = {}
    if isinstance(data, str):
        message = control_character_message(data)
        if message:
            problems[path or "body"] = message
    elif isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            message = control_character_message(str(key))
            if message:
                problems[child] = message
                continue
            problems.update(find_in_data(value, child))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems.update(find_in_data(value, f"{path}.{index}" if path else str(index)))
    return problems

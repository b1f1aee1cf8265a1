"""Idempotency keys: a page sends one with each submission and the same one when it retries (after a 503
or a dropped connection), so the server stores the submission once."""

import re
from typing import Any

KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def clean_idempotency_key(value: Any) -> str:
    """The key as stored, or "" when there is none or it is not a key (then the submission is simply stored)."""
    value = value if isinstance(value, str) else ""
    return value if KEY.fullmatch(value) else ""

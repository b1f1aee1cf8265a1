"""Questions whose answers a learner may not see right now, such as those of an exam in progress.

The apps that know why register a provider at start-up (quizzes: its open exam attempts), so this app, the
foundation, imports none of them, and every place that would show an answer (grading, flashcards, exports)
asks here.
"""

from collections.abc import Callable
from datetime import datetime

Provider = Callable[[object, str, datetime], set[int]]
_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def hidden_question_ids(user, session_key: str, now: datetime) -> set[int]:
    """Ids of the questions whose expected answers and explanations this learner may not see at `now`."""
    hidden: set[int] = set()
    for provider in _providers:
        hidden |= provider(user, session_key, now)
    return hidden

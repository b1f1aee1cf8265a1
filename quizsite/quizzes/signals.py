"""What a learner did before signing in stays theirs: anonymous answers and quiz attempts move into the
account on sign-up and on log-in."""

from django.db import transaction

from quizsite.quizzes.models import Answer, Attempt

ANONYMOUS_KEY = "anonymous_session_key"


def remember_anonymous_session(request) -> None:
    """Note the anonymous session's key in the session itself: log-in gives the session a new key."""
    key = request.session.session_key
    if not request.user.is_authenticated and key and request.session.get(ANONYMOUS_KEY) != key:
        request.session[ANONYMOUS_KEY] = key


def claim_anonymous_work(user, session_key: str) -> tuple[int, int]:
    """Give the session's anonymous attempts and answers to the user: (attempts, answers) moved.

    Idempotent: rows already claimed belong to the user and are not matched again.
    """
    if not session_key:
        return 0, 0
    with transaction.atomic():
        attempts = Attempt.objects.filter(user=None, session_key=session_key).update(user=user, session_key="")
        answers = Answer.objects.filter(user=None, session_key=session_key).update(user=user, session_key="")
    return attempts, answers


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    claim_anonymous_work(user, request.session.pop(ANONYMOUS_KEY, ""))

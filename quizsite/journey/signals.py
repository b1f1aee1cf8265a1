from django.utils import timezone

from quizsite.journey.path import claim_session_lessons


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """Lessons read before signing up or logging in are marked read in the account."""
    if request is not None and hasattr(request, "session"):
        claim_session_lessons(user, request.session, timezone.now())

"""Failed sign-ins and sign-ups, counted per username and per client address in the shared cache.

The cache is the site's default cache: Redis when REDIS_URL is set, so every worker and host counts
together. Each counter is a fixed window: the first failure starts it, and once a counter reaches its limit
every attempt for that username or from that address is refused (even with the right password) until the
window ends. A successful sign-in clears its username's counter, never the address's.
"""

import functools
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from quizsite.throttling import client_address


@dataclass(frozen=True)
class Lockout:
    retry_after_s: int

    @property
    def message(self) -> str:
        minutes = max(1, round(self.retry_after_s / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return (f"Too many attempts. For your account's safety, try again in {minutes} {unit} "
                f"(or reset your password with the site's administrator).")


@dataclass(frozen=True)
class AttemptCounter:
    """One kind of attempt ("login", "signup"): its limits per username and per address, and its window."""

    scope: str

    def _limits(self) -> tuple[int, int, int]:
        if self.scope == "signup":
            return settings.SIGNUP_ATTEMPTS_PER_USERNAME, settings.SIGNUP_ATTEMPTS_PER_ADDRESS, settings.SIGNUP_WINDOW_S
        return settings.LOGIN_FAILURES_PER_USERNAME, settings.LOGIN_FAILURES_PER_ADDRESS, settings.LOGIN_LOCKOUT_S

    def _keys(self, request: HttpRequest, username: str) -> list[tuple[str, int]]:
        per_username, per_address, _ = self._limits()
        name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
        return [(f"throttle:{self.scope}:user:{name}", per_username),
                (f"throttle:{self.scope}:addr:{address}", per_address)]

    def lockout(self, request: HttpRequest, username: str) -> Lockout | None:
        """The lockout in force for this username or address, if any."""
        now = time.time()
        waits = []
        for key, limit in self._keys(request, username):
            count = cache.get(key, 0)
            if count >= limit:
                started = cache.get(f"{key}:t", now)
                waits.append(int(started + self._limits()[2] - now) + 1)
        return Lockout(max(1, max(waits))) if waits else None

    def record(self, request: HttpRequest, username: str) -> None:
        """Count one attempt against the username and the address."""
        window = self._limits()[2]
        for key, _ in self._keys(request, username):
            cache.add(f"{key}:t", time.time(), window)
            cache.add(key, 0, window)
            try:
                cache.incr(key)
            except ValueError:  # the window ended between the two calls
                cache.set(key, 1, window)

    def clear_username(self, request: HttpRequest, username: str) -> None:
        key, _ = self._keys(request, username)[0]
        cache.delete_many([key, f"{key}:t"])


LOGIN = AttemptCounter("login")
SIGNUP = AttemptCounter("signup")


def throttled(counter: AttemptCounter, every_attempt: bool = False):
    """Wrap a sign-in or sign-up view: a POST under lockout is a 429 with Retry-After before the view runs;
    afterwards a POST that did not redirect (the form came back with errors) counts as a failure, or every
    POST counts with `every_attempt`. A redirect after a sign-in clears the username's counter."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method != "POST":
                return view(request, *args, **kwargs)
            username = request.POST.get("username", "")
            lockout = counter.lockout(request, username)
            if lockout is not None:
                return refused(request, lockout)
            response = view(request, *args, **kwargs)
            succeeded = response.status_code in (301, 302, 303)
            if every_attempt or not succeeded:
                counter.record(request, username)
            else:
                counter.clear_username(request, username)
            return response

        return wrapper

    return decorator


def refused(request: HttpRequest, lockout: Lockout) -> HttpResponse:
    response = render(request, "registration/throttled.html", {"message": lockout.message}, status=429)
    response["Retry-After"] = str(lockout.retry_after_s)
    return response

"""Riding out the database: `/healthz`, and a 503 "back in a moment" instead of a 500 while it is away.

- HealthCheckMiddleware answers `/healthz` first of all the middleware: no session, no CSRF cookie, no
  host check, one `SELECT 1`. 200 when the database answers, 503 when it does not.
- DatabaseUnavailableMiddleware turns a lost database (`OperationalError`, `InterfaceError`: connection
  refused, server closed the connection, a restarting PostgreSQL, a locked SQLite file) raised by a view into
  503 with Retry-After: JSON under /api/ or for a caller that asks for JSON, a short page otherwise. The
  500 handler (quizsite.views.server_error) sends the same answer when the error comes from a middleware.
- Either way the broken connection is closed, so the next request opens a fresh one: once the database is
  back, the site serves again without a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5
HEALTH_PATH = "/healthz"


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def discard_broken_connections() -> None:
    """Close every connection that an error left unusable (the next query reconnects)."""
    for connection in connections.all(initialized_only=True):
        try:
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        except DATABASE_ERRORS:
            pass  # close() on a dead socket may complain; the wrapper has dropped it either way


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After, JSON or the short page; logs one line, not a traceback."""
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, first_line(exc))
    discard_broken_connections()
    message = "The database is unavailable for a moment. Try again in a few seconds."
    if wants_json(request):
        response = JsonResponse({"error": "Service unavailable.", "detail": message,
                                 "retry_after_s": RETRY_AFTER_S}, status=503)
    else:
        # No RequestContext: its processors would read the session and the user from the database.
        html = render_to_string("503.html", {"retry_after_s": RETRY_AFTER_S})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


def first_line(exc: BaseException | None) -> str:
    text = str(exc or "").strip()
    return text.splitlines()[0] if text else type(exc).__name__


def wait_for_database(should_stop: Callable[[], bool] = lambda: False, error: BaseException | None = None,
                      log: logging.Logger = logger, max_delay_s: float = 5.0) -> bool:
    """Block until the database answers again, retrying with backoff (0.5 s, doubling up to max_delay_s).

    Logs one line when the wait starts and one when the database is back, not one per attempt. Returns
    False if should_stop() turned true first (a worker asked to stop)."""
    started = time.monotonic()
    log.warning("database unavailable (%s): waiting for it, retrying with backoff", first_line(error))
    delay = 0.5
    while not should_stop():
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DATABASE_ERRORS:
                pass
        if database_reachable():
            log.warning("database back after %.1f s: carrying on", time.monotonic() - started)
            return True
        until = time.monotonic() + delay
        while time.monotonic() < until and not should_stop():
            time.sleep(min(0.1, delay))
        delay = min(delay * 2, max_delay_s)
    return False


def database_reachable(alias: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except DATABASE_ERRORS:
        discard_broken_connections()
        try:
            connection.close()
        except DATABASE_ERRORS:
            pass
        return False


class HealthCheckMiddleware:
    """`GET /healthz`: {"status": "ok"} with 200, or 503 when the database does not answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"error": "Method not allowed.", "detail": "Use GET."}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        if database_reachable():
            response = JsonResponse({"status": "ok", "database": "ok"})
        else:
            response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
            response["Retry-After"] = str(RETRY_AFTER_S)
        response["Cache-Control"] = "no-store"
        return response


class DatabaseUnavailableMiddleware:
    """A view that lost its database answers 503 (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return unavailable_response(request, exception)
        return None

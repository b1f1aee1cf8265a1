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
    logger.warning("database unavailable for %s %s: %s", request.method, request.path,
                   str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
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

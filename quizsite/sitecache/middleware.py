"""Whole pages for visitors who are not signed in, served from a cache before sessions, auth and the view.

A class mostly reads the same pages: the question list, a question, a quiz, a lab's page, the API's
content reads. For a visitor without a session those depend only on the content, so the first answer is
kept (the exact bytes and headers) under the content version and given again to the next visitor without
running the view, the template or the session and auth middleware. What decides:

- The request: GET, no Authorization header, and no cookie but the CSRF cookie (a session, a flash
  message or anything else makes the answer personal, and it is built as usual).
- The view opts in, as the URL tells before any query (`content_page` below for page views,
  `quizsite.sitecache.views.ContentCachedMixin` for API reads), and so does its response. Only a 200 that sets no cookie but the
  CSRF one is kept (a calculated question starts a session for the visitor's own numbers: not kept).
- The key: the content version (bumped by every content change, so nothing stale is served; one indexed
  read per request), the scheme and host (API pages link absolutely), the path with its query string, and
  the Accept and HX-Request headers (JSON or the browsable API; a whole page or an htmx fragment).

Forms on these pages carry a CSRF token, which is per visitor. It is cut out of the kept copy (every masked
form of this request's secret, found by unmasking) and a token for the visitor at hand is put in its place
on every hit, with the CSRF cookie set as Django would set it, so forms keep working without JavaScript.

Kept in their own cache (`CACHES["pages"]`), so a flood of distinct URLs can never evict the rate limits'
and lockouts' counters in the default cache.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import Error as DatabaseError  # every database error, InterfaceError included
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CsrfViewMiddleware, get_token
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response

from quizsite.sitecache import store
from quizsite.sitecache.models import current_version


def release_id() -> str:
    """What a deploy changes besides the content: the collected static files' manifest (hashed names in the
    pages) and the lesson files. Kept pages of an earlier release are never served after it."""
    digest = hashlib.sha256()
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    lessons = Path(settings.BASE_DIR) / "content" / "lessons"
    for path in sorted(lessons.glob("*")) if lessons.is_dir() else []:
        digest.update(f"{path.name}:{path.stat().st_mtime_ns}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


RELEASE = release_id()
# Exactly as long as a masked token, so the page's length is the same before and after the swap.
TOKEN_PLACEHOLDER = b"CSRFTOKENPLACEHOLDER".ljust(2 * CSRF_SECRET_LENGTH, b"X")
TOKEN_CANDIDATE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % (2 * CSRF_SECRET_LENGTH))
SKIPPED_HEADERS = {"content-length", "set-cookie"}


def content_page(view):
    """Mark a page view's answers as depending only on the content for a visitor without a session."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not hasattr(response, "content_cacheable"):  # a view may say False for one answer
            response.content_cacheable = True
        return response

    wrapper.content_cacheable = True  # what the middleware looks up before it reads anything
    return wrapper


def view_opts_in(request: HttpRequest) -> bool:
    """Whether the view this path leads to keeps its answers (page views by content_page, API views by
    ContentCachedMixin); found from the URL alone, before any query."""
    try:
        func = resolve(request.path_info).func
    except Resolver404:
        return False
    view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
    return bool(getattr(func, "content_cacheable", False) or getattr(view_class, "content_cacheable", False))


def unmask(token: str) -> str:
    """The secret a masked CSRF token carries (its first half masks the second)."""
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[(chars.index(c) - chars.index(m)) % len(chars)] for c, m in zip(cipher, mask, strict=True))


def cut_tokens(content: bytes, secret: str | None) -> tuple[bytes, bool]:
    """The page with every masked token of `secret` replaced by the placeholder, and whether it had any."""
    if not secret:
        return content, False
    found = False

    def swap(match: re.Match) -> bytes:
        nonlocal found
        if unmask(match.group().decode()) == secret:
            found = True
            return TOKEN_PLACEHOLDER
        return match.group()

    return TOKEN_CANDIDATE.sub(swap, content), found


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.eligible(request):
            return self.get_response(request)
        try:
            key = self.key(request)
        except DatabaseError:  # the view's own query fails too, and the outage middleware answers 503
            return self.get_response(request)
        stored = store.read(key)
        if stored is not None:
            return self.serve(request, *stored)
        response = self.get_response(request)
        if self.storable(response):
            # A page that already carries the placeholder (a query string echoed back) would get the next
            # visitor's token written into its links: such a page is not kept.
            if TOKEN_PLACEHOLDER in response.content:
                return response
            content, has_token = cut_tokens(response.content, request.META.get("CSRF_COOKIE"))
            headers = [(name, value) for name, value in response.items() if name.lower() not in SKIPPED_HEADERS]
            store.keep(key, (content, headers, has_token))
        return response

    @staticmethod
    def eligible(request: HttpRequest) -> bool:
        if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
            return False
        if not all(name == settings.CSRF_COOKIE_NAME for name in request.COOKIES):
            return False
        if store.query_too_long(request):
            return False
        try:
            request.get_host()  # ALLOWED_HOSTS, checked here too: a hit never reaches CommonMiddleware
        except DisallowedHost:
            return False  # built as usual: CommonMiddleware answers 400
        return view_opts_in(request)

    @staticmethod
    def key(request: HttpRequest) -> str:
        # Only what the answer depends on: Accept for the API (JSON or an error), HX-Request as yes or no.
        accept = request.META.get("HTTP_ACCEPT", "") if request.path_info.startswith("/api/") else ""
        parts = "\n".join([RELEASE, request.scheme or "", request.get_host().lower(), request.get_full_path(),
                           accept, "htmx" if request.META.get("HTTP_HX_REQUEST") == "true" else ""])
        request.content_version = current_version()  # read once: ContentCachedMixin reuses it
        return f"page:{request.content_version}:{hashlib.sha256(parts.encode()).hexdigest()}"

    @staticmethod
    def storable(response: HttpResponse) -> bool:
        return (getattr(response, "content_cacheable", False) and response.status_code == 200
                and not response.streaming
                and all(name == settings.CSRF_COOKIE_NAME for name in response.cookies))

    def serve(self, request: HttpRequest, content: bytes, headers: list[tuple[str, str]],
              has_token: bool) -> HttpResponse:
        if has_token:
            self.csrf.process_request(request)  # the visitor's own secret from their cookie, if valid
            content = content.replace(TOKEN_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(content))  # as CommonMiddleware would (it is not run on a hit)
        if has_token:
            return self.csrf.process_response(request, response)  # sets or renews the CSRF cookie
        if response.has_header("ETag"):
            return get_conditional_response(request, etag=response["ETag"], response=response)
        return response

"""API reads of content, cached whole under the content version, with ETags (304 when unchanged).

A cached answer is the exact bytes and headers the view gave before: the cache key holds the content
version, the whole URL, and whether the reader is anonymous where that matters. Content
changes bump the version (quizsite.sitecache.signals), so nothing stale is ever served.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response

from quizsite.sitecache import store
from quizsite.sitecache.models import current_version


def cache_key(version: int, request, anonymous_only: bool) -> str:
    # The whole URL: DRF's pagination links are absolute, built from the request's host and scheme (a Host
    # with a port passes ALLOWED_HOSTS), so an answer is only ever given back for the same host and scheme.
    path = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return f"content:{version}:{'anon' if anonymous_only else 'all'}:{path}"


def cacheable(request, anonymous_only: bool) -> bool:
    """GET/HEAD without credentials that could fail (a token) or, where the answer varies by reader, any."""
    if request.method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in request.META:
        return False
    if store.query_too_long(request):
        return False
    return not (anonymous_only and settings.SESSION_COOKIE_NAME in request.COOKIES)


class ContentCachedMixin:
    """For DRF views whose GET answer depends only on content (anonymous_only: or also on the reader's
    session, then only readers without one are served from the cache)."""

    content_cache_anonymous_only = False
    content_cacheable = True  # for visitors without a session, whole (quizsite.sitecache.middleware)

    def dispatch(self, request, *args, **kwargs):
        anonymous_only = self.content_cache_anonymous_only
        if not cacheable(request, anonymous_only):
            return super().dispatch(request, *args, **kwargs)
        version = getattr(request, "content_version", None)  # read already by the page cache middleware
        key = cache_key(current_version() if version is None else version, request, anonymous_only)
        stored = store.read(key)
        if stored is None:
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code != 200 or response.cookies:
                return response
            if hasattr(response, "render"):
                response.render()
            etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
            response["ETag"] = etag
            store.keep(key, (response.content, list(response.items())))
        else:
            content, headers = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
        response = get_conditional_response(request, etag=response["ETag"], response=response)
        response.content_cacheable = True  # whole, for visitors without a session (sitecache.middleware)
        return response

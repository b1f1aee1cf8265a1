"""Site-wide pages: the error pages (JSON under /api/, HTML elsewhere) and /favicon.ico."""

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from quizsite.api import json_404, json_500
from quizsite.health import is_database_outage, unavailable_response


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_404(request)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if is_database_outage(error):  # raised in a middleware (the session's save, say): 503, not 500
        return unavailable_response(request, error)
    if request.path.startswith("/api/"):
        return json_500(request)
    return render(request, "500.html", status=500)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every site, whatever the pages link to."""
    icon = settings.BASE_DIR / "static" / "img" / "favicon.ico"
    return HttpResponse(icon.read_bytes(), content_type="image/x-icon")

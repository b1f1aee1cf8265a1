"""Site-wide error pages: JSON under /api/, HTML elsewhere."""

import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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

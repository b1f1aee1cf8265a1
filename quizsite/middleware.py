"""Site-wide request checks that every view relies on."""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from quizsite.lib.text import control_character_message

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class TextHygieneMiddleware:
    """Query strings and form bodies carrying a control character are a 400 naming the field, before any
    view runs (NUL would otherwise be a 500 on PostgreSQL). JSON bodies are checked by the API's parser,
    which knows the field paths; uploaded files are checked by whatever reads them (the CSV import)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        problems = _problems(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            problems.update(_problems(request.POST))
        if not problems:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "Invalid input.", "fields": problems}, status=400)
        return render(request, "400.html", {"problems": problems}, status=400)


def _problems(data) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for key, values in data.lists():
        for text in [key, *values]:
            message = control_character_message(text)
            if message:
                problems[key.encode("unicode_escape").decode() if text == key else key] = [message]
                break
    return problems


INTERVIEWER_PAGES = re.compile(r"^/interviews/\d+/i/")


class PrivatePagesMiddleware:
    """Permissions-Policy on every response, and `Cache-Control: no-store` on whatever is private: every page
    a signed-in user gets (their history, scorecards, tokens) and the interviewer's pages (open by a private
    link, no sign-in), so neither a shared computer's cache nor a proxy keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or INTERVIEWER_PAGES.match(request.path):
            add_never_cache_headers(response)
        return response

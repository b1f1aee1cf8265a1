"""API plumbing shared by every app: JSON errors everywhere under /api/."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError, Throttled, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from quizsite.lib.text import find_in_data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply for Python's json module (RecursionError) is a 400 like any
    other malformed JSON, not a 500, and so is any string (value or key) carrying a control character: the
    400 names every such field by its dotted path."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        problems = find_in_data(data)
        if problems:
            raise ValidationError({path: [message] for path, message in problems.items()})
        return data


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description=("8-64 letters, digits, '-' or '_', new for each answer and the same when you send it again "
                 "(after a 503 or a lost connection): an answer already stored under it is returned, not stored "
                 "twice."),
)


def idempotency_key(request) -> str:
    return request.headers.get("Idempotency-Key", "")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


def active_conflict(exc: Exception, kind: str, active) -> Conflict:
    """409 for a second active `kind` ("run", "submission"): the refusal, then the one in progress (when
    known) and its API address, as in "... (run 7: /api/v1/runs/7)"."""
    where = f" ({kind} {active.pk}: /api/v1/{kind}s/{active.pk})" if active else ""
    return Conflict(f"{exc}{where}")


def try_later(exc) -> Throttled:
    """429 with Retry-After for a refusal that says when to try again (its `retry_after_s`)."""
    return Throttled(wait=exc.retry_after_s, detail=str(exc))


def exception_handler(exc, context):
    """DRF's handler, with every error body shaped as {"error": ..., "detail": ...}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        message = str(data["detail"])
        response.data = {"error": message, "detail": message}
    elif isinstance(data, dict):
        response.data = {"error": "Invalid input.", "fields": data}
    else:
        response.data = {"error": "Invalid input.", "detail": data}
    return response


def json_404(request, exception=None):
    return JsonResponse({"error": "Not found.", "detail": f"No API resource at {request.path}"}, status=404)


def json_500(request):
    return JsonResponse({"error": "Server error.", "detail": "Something went wrong on our side."}, status=500)

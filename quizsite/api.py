"""API plumbing shared by every app: JSON errors everywhere under /api/."""

from django.http import JsonResponse
from rest_framework.views import exception_handler as drf_exception_handler


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

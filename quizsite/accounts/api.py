from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from quizsite.accounts.authentication import token_expires_at, token_for
from quizsite.accounts.throttles import LOGIN
from quizsite.throttling import AnonThrottle


class TokenThrottle(AnonThrottle):
    scope = "auth_token"


class ObtainToken(APIView):
    """Exchange a username and password for an API token (send it as `Authorization: Token ...`).

    The same token comes back until it expires (`expires_at`, API_TOKEN_TTL_DAYS after it was issued, 30 by
    default); then this returns a new one. A password change, "Revoke" on the account page and "Log out
    everywhere" revoke it. Wrong passwords are throttled per username and per address: a 429 with
    Retry-After.
    """

    authentication_classes: list = []
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField(),
                                                      "expires_at": serializers.DateTimeField()}),
    )
    def post(self, request):
        username = str(request.data.get("username", "")) if isinstance(request.data, dict) else ""
        lockout = LOGIN.lockout(request, username)
        if lockout is not None:
            raise Throttled(wait=lockout.retry_after_s, detail=lockout.message)
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            LOGIN.record(request, username)
            raise ValidationError(serializer.errors)
        LOGIN.clear_username(request, username)
        token = token_for(serializer.validated_data["user"])
        return Response({"token": token.key, "expires_at": token_expires_at(token)})

"""API tokens that expire: API_TOKEN_TTL_DAYS after they were issued, a token stops working."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expires_at(token: Token):
    return token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_for(user) -> Token:
    """The user's live token: the current one, or a new one when there is none or it has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and token_expires_at(token) <= timezone.now():
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise AuthenticationFailed("Token expired. Get a new one with POST /api/v1/auth/token.")
        return user, token

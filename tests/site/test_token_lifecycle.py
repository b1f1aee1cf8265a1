"""API tokens expire, die with a password change or a "revoke", and "log out everywhere" ends every browser
session and token."""

from datetime import datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db
REFUSED = (401, 403)  # DRF answers 403 when session authentication comes first in the list


def _token(api_client, password) -> str:
    response = api_client.post("/api/v1/auth/token", {"username": "learner", "password": password}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def _interviews(api_client, key) -> int:
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client.get("/api/v1/interviews/").status_code


def test_the_token_endpoint_keeps_its_contract_and_says_when_the_token_expires(api_client, learner, password):
    """{"token": ...} as before, plus expires_at 30 days on; asking again returns the same token."""
    response = api_client.post("/api/v1/auth/token", {"username": "learner", "password": password}, format="json")
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    token = Token.objects.get(user=learner)
    assert body["token"] == token.key
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires_at == token.created + timedelta(days=30)
    assert abs((token.created - timezone.now()).total_seconds()) < 60
    assert _token(api_client, password) == body["token"]


def test_an_expired_token_is_refused_and_a_new_one_is_issued(api_client, learner, password, settings):
    """Past API_TOKEN_TTL_DAYS a token is refused with a message naming the fix; the endpoint then issues a fresh one."""
    key = _token(api_client, password)
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=30, seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/interviews/")
    assert response.status_code in REFUSED and "Token expired" in response.json()["error"]
    assert _interviews(api_client, key) in REFUSED
    api_client.credentials()
    fresh = _token(api_client, password)
    assert fresh != key and _interviews(api_client, fresh) == 200


def test_a_password_change_revokes_the_token(client, api_client, learner, password):
    """The old token is a 401 once the password has changed (on the site's form)."""
    key = _token(api_client, password)
    assert _interviews(api_client, key) == 200
    client.force_login(learner)
    response = client.post("/accounts/password/", {"old_password": password, "new_password1": "another-long-phrase-77",
                                                   "new_password2": "another-long-phrase-77"})
    assert response.status_code == 302
    assert _interviews(api_client, key) in REFUSED


def test_saving_a_user_without_a_new_password_keeps_the_token(api_client, learner, password):
    """Log-ins (last_login) and profile edits do not revoke tokens."""
    key = _token(api_client, password)
    learner.email = "new@example.com"
    learner.save()
    assert _interviews(api_client, key) == 200


def test_revoke_on_the_account_page(client, api_client, learner, other_learner, password):
    """The page lists the token by its first characters only; "Revoke" kills it; another's is untouched."""
    key = _token(api_client, password)
    theirs = Token.objects.create(user=other_learner)
    client.force_login(learner)
    page = client.get("/accounts/security/").content.decode()
    assert key[:6] in page and key not in page
    client.post("/accounts/security/tokens/revoke", {"token": theirs.key[:6]})
    assert Token.objects.filter(pk=theirs.pk).exists()
    client.post("/accounts/security/tokens/revoke", {"token": key[:6]})
    assert _interviews(api_client, key) in REFUSED


def test_log_out_everywhere_ends_every_session_and_token(learner, other_learner, password, api_client):
    """Two browsers and a token: after "log out everywhere" in one, both browsers are signed out, the token
    is a 401, and the other learner's session survives."""
    first, second, theirs = Client(), Client(), Client()
    for browser, name in ((first, "learner"), (second, "learner"), (theirs, "other")):
        assert browser.post("/accounts/login/", {"username": name, "password": password}).status_code == 302
    key = _token(api_client, password)
    assert second.get("/cards/decks/").status_code == 200
    assert first.post("/accounts/security/logout-everywhere").status_code == 302
    assert second.get("/cards/decks/").status_code == 302  # back to the log-in page
    assert first.get("/cards/decks/").status_code == 302
    assert _interviews(api_client, key) in REFUSED
    assert theirs.get("/cards/decks/").status_code == 200
    assert Session.objects.count() == 1

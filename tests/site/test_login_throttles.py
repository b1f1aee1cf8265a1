"""Password guessing is throttled per username and per client address on every way in (log-in page, admin
log-in, token endpoint) and sign-up is too, in the shared cache; X-Forwarded-For is believed only behind a
declared proxy."""

import os
import time

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from quizsite.accounts.throttles import LOGIN
from quizsite.quizzes.api import GradeAnonThrottle
from quizsite.quizzes.models import Quiz
from quizsite.throttling import client_address

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """A fast hasher, so dozens of log-ins take milliseconds (the throttle counts; it does not hash)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, password, username="learner", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_sixty_wrong_passwords_lock_the_login_page(client, learner, password):
    """After 10 failures the page answers 429 with Retry-After (the rest of the 15-minute window), even to
    the right password."""
    statuses = [_login(client, f"guess-{n}").status_code for n in range(60)]
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}
    refused = _login(client, password)
    assert refused.status_code == 429
    assert 850 <= int(refused["Retry-After"]) <= 901
    assert "Too many attempts" in refused.content.decode()


@override_settings(LOGIN_LOCKOUT_S=3)
def test_the_right_password_works_once_the_window_ends(client, learner, password):
    """A lockout lasts one window; after it the right password signs in."""
    statuses = [_login(client, "wrong").status_code for _ in range(11)]
    assert statuses[-1] == 429
    time.sleep(3.5)
    assert _login(client, password).status_code == 302


def test_a_success_clears_the_username_count(client, learner, password):
    """Nine failures, a success, nine more failures: never locked (the owner typing badly is not punished)."""
    for _ in range(9):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, password).status_code == 302
    client.logout()
    for _ in range(9):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, password).status_code == 302


@override_settings(LOGIN_FAILURES_PER_ADDRESS=5)
def test_one_address_guessing_many_usernames_is_locked(client, learner, password):
    """Failures against different usernames from one address add up."""
    for n in range(5):
        assert _login(client, "x", username=f"user{n}").status_code == 200
    assert _login(client, password).status_code == 429


def test_the_admin_login_is_throttled(client, staff_author, password):
    """The admin's own log-in page counts failures the same way."""
    statuses = [client.post("/admin/login/", {"username": "author", "password": "no"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    response = client.post("/admin/login/", {"username": "author", "password": password})
    assert response.status_code == 429 and response["Retry-After"]


def test_the_token_endpoint_locks_a_username_whatever_the_forwarded_address(api_client, learner, password):
    """A fresh X-Forwarded-For per request changes nothing (no proxy declared): the 11th try is a 429 with
    Retry-After, and so is the right password."""
    statuses = [
        api_client.post("/api/v1/auth/token", {"username": "learner", "password": f"g{n}"}, format="json",
                        HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(15)
    ]
    assert statuses[:10] == [400] * 10 and set(statuses[10:]) == {429}
    response = api_client.post("/api/v1/auth/token", {"username": "learner", "password": password}, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.json()["error"]


@override_settings(SIGNUP_ATTEMPTS_PER_ADDRESS=3)
def test_sign_up_is_throttled_per_address(client, django_user_model):
    """Every sign-up attempt counts; past the limit a 429, and no account is made."""
    for n in range(3):
        client.post("/accounts/signup/", {"username": f"bot{n}", "password1": "a-long-pass-phrase-42",
                                          "password2": "a-long-pass-phrase-42"})
        client.logout()
    response = client.post("/accounts/signup/", {"username": "bot9", "password1": "a-long-pass-phrase-42",
                                                 "password2": "a-long-pass-phrase-42"})
    assert response.status_code == 429 and response["Retry-After"]
    assert not django_user_model.objects.filter(username="bot9").exists()


def test_anonymous_grading_is_not_unlocked_by_forwarded_addresses(api_client, monkeypatch):
    """The anonymous grading limit holds against a new X-Forwarded-For per request."""
    monkeypatch.setattr(GradeAnonThrottle, "rate", "3/min", raising=False)
    question = Quiz.objects.curated().first().ordered_questions()[0]
    statuses = [
        api_client.post(f"/api/v1/questions/{question.slug}/grade", {"answer": "x"}, format="json",
                        HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(6)
    ]
    assert statuses.count(429) == 3


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (3, "203.0.113.9", "203.0.113.9"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address_believes_only_declared_proxies(settings, proxies, forwarded, expected):
    """The address is REMOTE_ADDR unless NUM_PROXIES proxies are declared; then the one our outermost proxy
    saw, so a client's own X-Forwarded-For entries are ignored."""
    settings.NUM_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_x_forwarded_proto_is_ignored_without_a_proxy():
    """With HTTPS=1 and no proxy declared, a client cannot claim HTTPS with X-Forwarded-Proto."""
    from tests.site.test_deploy_settings import PRODUCTION_ENV, run_manage

    code = ("from django.conf import settings; print(repr(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)))")
    alone = run_manage("shell", "-c", code, **PRODUCTION_ENV)
    behind = run_manage("shell", "-c", code, NUM_PROXIES="1", **PRODUCTION_ENV)
    assert alone.stdout.strip().endswith("None"), alone.stderr
    assert "HTTP_X_FORWARDED_PROTO" in behind.stdout, behind.stderr


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


def test_lockouts_are_shared_between_workers_through_redis(client, learner, password):
    """Two processes' caches pointing at one Redis (here two cache objects, as two workers would have)
    count failures together: failures recorded through one lock the username for the other."""
    _redis_or_skip()
    prefix = f"bp-test-harden-{os.getpid()}-{time.time_ns()}"
    redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                   "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": redis_cache}):
        try:
            for n in range(5):
                _login(client, "wrong")
            caches["default"].close()
            del caches["default"]  # a second worker: its own connection, the same Redis
            for n in range(5):
                _login(client, "wrong")
            assert _login(client, password).status_code == 429
            assert caches["default"].get(LOGIN._keys(
                RequestFactory().get("/", REMOTE_ADDR="127.0.0.1"), "learner")[0][0]) == 10
        finally:
            caches["default"].clear()
            del caches["default"]

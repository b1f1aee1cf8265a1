"""Rate limits across processes: two real server processes (gunicorn, one worker each, as two hosts would run
them) count one client's requests together through Redis (REDIS_URL), and each on its own without it.

Anonymous grading is limited per client address (GRADE_RATE_ANON), signed-in grading per account
(GRADE_RATE_USER); both are DRF throttles counted in Django's default cache. The Redis keys live under a
prefix of this test's own, in Redis database 9, and are removed at the end.
"""

import json
import os
import secrets
import time

import pytest
from rest_framework.authtoken.models import Token

from tests.faults.servers import Site

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS = "redis://127.0.0.1:6379/9"
ANON_LIMIT = 6
USER_LIMIT = 8


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return client


@pytest.fixture
def two_servers(tmp_path, content):
    """start(**env) -> two gunicorn servers (one worker each) with those settings; all stopped at the end."""
    started: list[Site] = []

    def start(**env: str) -> tuple[Site, Site]:
        pair = []
        for n in range(2):
            folder = tmp_path / f"server-{len(started)}"
            folder.mkdir()
            site = Site(folder, WEB_CONCURRENCY="1", GRADE_RATE_ANON=f"{ANON_LIMIT}/min",
                        GRADE_RATE_USER=f"{USER_LIMIT}/min", **env)
            started.append(site)
            pair.append(site)
        for site in pair:
            site.wait_until_serving()
        return pair[0], pair[1]

    yield start
    for site in started:
        site.proc.stop()


def grade(site: Site, token: str = "") -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    return site.get("/api/v1/questions/throughput-plateau-ramp/grade", data=json.dumps({"answer": "a"}).encode(),
                    headers=headers, timeout=30)[0]


def alternate(first: Site, second: Site, count: int, token: str = "") -> list[int]:
    """`count` requests, every other one to each server."""
    return [grade(first if n % 2 == 0 else second, token) for n in range(count)]


def learner_token(django_user_model) -> str:
    user = django_user_model.objects.create_user(f"shared-{secrets.token_hex(4)}", password="!")
    return Token.objects.create(user=user, key=secrets.token_hex(20)).key


def test_with_redis_two_servers_count_each_client_together(two_servers, django_user_model):
    client = redis_or_skip()
    prefix = f"bp-test-shared-{os.getpid()}-{time.time_ns()}"
    try:
        a, b = two_servers(REDIS_URL=REDIS, CACHE_KEY_PREFIX=prefix)
        anonymous = alternate(a, b, ANON_LIMIT + 2)
        assert anonymous[:ANON_LIMIT] == [200] * ANON_LIMIT, anonymous
        assert anonymous[ANON_LIMIT:] == [429, 429], anonymous  # the limit held across both servers
        token = learner_token(django_user_model)
        signed_in = alternate(a, b, USER_LIMIT + 2, token)
        assert signed_in[:USER_LIMIT] == [200] * USER_LIMIT, signed_in
        assert signed_in[USER_LIMIT:] == [429, 429], signed_in
        assert client.keys(f"{prefix}:*"), "the throttles' counters are in Redis"
    finally:
        keys = client.keys(f"{prefix}:*")
        if keys:
            client.delete(*keys)


def test_without_redis_each_server_counts_on_its_own(two_servers, django_user_model):
    """The local default: each process has its own counters, so two servers let a client through twice the
    limit (and each still refuses past its own share)."""
    a, b = two_servers(REDIS_URL="")
    anonymous = alternate(a, b, 2 * ANON_LIMIT)
    assert anonymous == [200] * (2 * ANON_LIMIT), anonymous
    assert grade(a) == 429 and grade(b) == 429
    token = learner_token(django_user_model)
    signed_in = alternate(a, b, 2 * USER_LIMIT, token)
    assert signed_in == [200] * (2 * USER_LIMIT), signed_in
    assert grade(a, token) == 429

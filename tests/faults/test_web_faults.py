"""The web rides out a database outage: real gunicorn (as `make run` configures it) in front of a real
PostgreSQL behind a TCP proxy that the test closes and reopens; and gunicorn stops gracefully."""

import json
import sqlite3
import threading
import time

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from quizsite.quizzes.models import Answer
from tests.faults.conftest import proxied_database_url
from tests.faults.servers import Site

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sites(tmp_path):
    started: list[Site] = []

    def start(**kwargs) -> Site:
        site = Site(tmp_path, **kwargs)
        started.append(site)
        site.wait_until_serving()
        return site

    yield start
    for site in started:
        site.proc.stop()


def test_pages_api_and_healthz_answer_503_while_the_database_is_cut_then_200_without_a_restart(
        postgres_proxy, sites, content):
    site = sites(DATABASE_URL=proxied_database_url(postgres_proxy), DATABASE_CONNECT_TIMEOUT_S="2")
    for path in ("/questions/", "/api/v1/topics/", "/healthz"):
        assert site.get(path)[0] == 200, path
    status, headers, _ = site.get("/healthz")
    assert status == 200 and "Set-Cookie" not in headers  # no session for a load balancer's probe
    log = site.proc.output()
    assert "GET /questions/" in log and "/healthz" not in log  # health checks leave no access-log line
    pid = site.proc.process.pid

    postgres_proxy.close()
    cut_at = time.monotonic()
    status, headers, body = site.get("/questions/")
    assert status == 503 and headers["Retry-After"] == "5"
    assert b"Back in a moment" in body and b"Traceback" not in body
    status, headers, body = site.get("/api/v1/topics/")
    assert status == 503 and json.loads(body)["error"] == "Service unavailable."
    assert site.get("/healthz")[0] == 503
    # Every worker and thread of the server, each with its own (now dead) persistent connection.
    statuses = {site.get("/questions/")[0] for _ in range(12)}
    assert statuses == {503}, statuses
    first_503_s = time.monotonic() - cut_at

    postgres_proxy.reopen()
    reopened = time.monotonic()
    while site.get("/healthz")[0] != 200:
        assert time.monotonic() - reopened < 20, "the site did not come back"
        time.sleep(0.1)
    back_s = time.monotonic() - reopened
    statuses = [site.get(path)[0] for _ in range(8) for path in ("/questions/", "/api/v1/topics/")]
    assert set(statuses) == {200}, statuses
    assert site.proc.process.poll() is None and site.proc.process.pid == pid  # the same server, no restart
    print(f"16 requests while cut, all 503, in {first_503_s:.2f} s; serving again {back_s:.2f} s after the "
          "database came back")


def _hold_write_lock():
    """Block writes to the answers table from another connection, as a long transaction would."""
    if connection.vendor == "sqlite":
        holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        db = connection.settings_dict
        holder = psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                                 user=db.get("USER") or "postgres", dbname=db["NAME"])
        holder.execute("LOCK TABLE quizzes_answer IN ACCESS EXCLUSIVE MODE")
    return holder


def test_sigterm_to_the_web_finishes_the_request_in_flight(sites, content, django_user_model):
    """An answer waiting on a lock when gunicorn is told to stop is still stored and answered 200."""
    site = sites()
    user = django_user_model.objects.create_user("steady", "steady@example.com", "pw-for-steady-42")
    token = Token.objects.create(user=user)
    holder = _hold_write_lock()
    outcome = {}

    def answer():
        outcome["status"] = site.get(
            "/api/v1/questions/throughput-plateau-ramp/grade", timeout=30,
            data=json.dumps({"answer": "a"}).encode(),
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"})[0]

    request = threading.Thread(target=answer)
    try:
        request.start()
        time.sleep(1.5)  # the request is in flight, waiting for the lock
        assert "status" not in outcome
        site.proc.process.terminate()
        time.sleep(1.0)
    finally:
        holder.close()  # ends its transaction: the lock goes
    request.join(timeout=30)
    assert outcome.get("status") == 200, site.proc.output()
    assert site.proc.process.wait(timeout=20) == 0
    assert Answer.objects.filter(user=user).count() == 1

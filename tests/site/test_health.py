"""`/healthz`: what a load balancer or a supervisor asks before sending traffic."""

import pytest
from django.test import Client

from tests.site.outage import database_down


@pytest.mark.django_db
def test_healthz_is_200_json_with_no_cookie_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies  # no session, no CSRF cookie


@pytest.mark.django_db
def test_healthz_answers_any_host_header_and_head(client):
    """A load balancer may call it by IP address: the host check comes later in the middleware."""
    assert client.get("/healthz", HTTP_HOST="10.1.2.3").status_code == 200
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_refuses_writes_without_a_csrf_error(client):
    response = Client(enforce_csrf_checks=True).post("/healthz")
    assert response.status_code == 405
    assert response.json()["error"] == "Method not allowed."


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_while_the_database_is_away_and_200_once_it_is_back(client):
    with database_down():
        down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "unreachable"}
    assert down["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200

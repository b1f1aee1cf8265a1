"""While the database is away, the site answers 503 "back in a moment" (JSON under /api/), never a 500, and
serves again as soon as it is back, with no restart. The connection is really broken (tests/site/outage.py)."""

import sqlite3

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from quizsite.quizzes.models import Answer
from tests.site.outage import database_down

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site():
    from django.core.management import call_command

    call_command("load_content", verbosity=0)  # transactional tests start from an empty database
    return Client(raise_request_exception=False)


def test_a_page_is_a_short_503_page_while_the_database_is_away(site):
    with database_down():
        response = site.get("/questions/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Back in a moment" in body and "Traceback" not in body
    assert "<script" not in body


def test_the_api_is_a_json_503_while_the_database_is_away(site):
    with database_down():
        response = site.get("/api/v1/topics/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "Service unavailable."
    assert response.json()["retry_after_s"] == 5


def test_a_page_fetch_asking_for_json_gets_json(site):
    """The interview autosave posts with Accept: application/json and reads the error from the body."""
    with database_down():
        response = site.get("/questions/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert "error" in response.json()


def test_an_answer_posted_while_the_database_is_away_is_503_and_stored_when_sent_again(site):
    url = "/questions/littles-law-in-flight/answer"
    site.get("/questions/littles-law-in-flight/")
    with database_down():
        lost = site.post(url, {"answer": "40"}, HTTP_HX_REQUEST="true")
    assert lost.status_code == 503
    assert Answer.objects.count() == 0
    again = site.post(url, {"answer": "40"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert Answer.objects.count() == 1


def test_the_site_serves_again_without_a_restart_once_the_database_is_back(site):
    assert site.get("/questions/").status_code == 200
    with database_down():
        assert site.get("/questions/").status_code == 503
        assert site.get("/api/v1/questions/").status_code == 503
    assert site.get("/questions/").status_code == 200
    assert site.get("/api/v1/questions/").status_code == 200


def test_a_database_error_raised_outside_a_view_is_503_not_500():
    """The 500 handler, which Django calls for errors in a middleware (a session save, say), sends the same
    503 when the cause is the database."""
    from quizsite.views import server_error  # not at import: quizsite.api and DRF's settings import each other

    request = RequestFactory().get("/api/v1/topics/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_a_locked_sqlite_database_is_503_not_500(site):
    """Another process holding SQLite's write lock past the busy timeout: the write is refused with 503."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL has no database-wide lock")
    site.get("/questions/littles-law-in-flight/")
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    options = connection.settings_dict["OPTIONS"]
    saved_timeout = options.get("timeout")
    connection.close()
    options["timeout"] = 0.2
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = site.post("/questions/littles-law-in-flight/answer", {"answer": "40"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 503
    finally:
        holder.rollback()
        holder.close()
        connection.close()
        options["timeout"] = saved_timeout
    assert Answer.objects.count() == 0
    assert site.post("/questions/littles-law-in-flight/answer", {"answer": "40"},
                     HTTP_HX_REQUEST="true").status_code == 200

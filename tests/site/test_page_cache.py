"""Content pages kept whole for visitors without a session (quizsite.sitecache.middleware): the next visitor
gets the kept copy with one query, their own working CSRF token, and never anything personal or stale."""

import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from quizsite.questions.models import Question
from quizsite.sitecache.middleware import TOKEN_PLACEHOLDER, cut_tokens, unmask

pytestmark = pytest.mark.django_db

QUESTION = "/questions/what-is-p99/"
TOKEN_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def form_tokens(response) -> list[str]:
    return TOKEN_IN_FORM.findall(response.content.decode())


def kept_pages() -> int:
    return len(caches["pages"]._cache)  # LocMemCache's store: the tests' settings keep pages in memory


def test_the_next_visitor_gets_the_kept_page_with_one_query(django_assert_num_queries):
    first = Client().get("/questions/")
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the content version; no session, no user, no view, no template
        second = Client().get("/questions/")
    assert second.status_code == 200
    # The same page but for each visitor's own token.
    one = cut_tokens(first.content, first.cookies[settings.CSRF_COOKIE_NAME].value)
    two = cut_tokens(second.content, second.cookies[settings.CSRF_COOKIE_NAME].value)
    assert one == two and one[1]
    assert second["Content-Type"] == first["Content-Type"]


def test_a_kept_page_carries_the_same_security_headers():
    first = Client().get(QUESTION)
    second = Client().get(QUESTION)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy", "X-Content-Type-Options"):
        assert second.has_header(header), header
        assert second[header] == first[header]


def test_each_visitor_gets_a_token_of_their_own_that_works():
    """Forms on a kept page still post without JavaScript: the token is the visitor's, the cookie set."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(QUESTION)
    page_two = second.get(QUESTION)  # from the cache
    token_one, token_two = form_tokens(page_one)[0], form_tokens(page_two)[0]
    secret_two = second.cookies[settings.CSRF_COOKIE_NAME].value
    assert unmask(token_two) == secret_two
    assert unmask(token_one) != secret_two
    assert TOKEN_PLACEHOLDER not in page_two.content
    answer = {"answer": "P99 is the latency that 99% of requests finish within; one request in a hundred is "
                        "slower than it.", "idempotency_key": ""}
    assert second.post(f"{QUESTION}answer", {**answer, "csrfmiddlewaretoken": token_two}).status_code == 200
    # The first visitor's token does not go with the second visitor's cookie.
    assert second.post(f"{QUESTION}answer", {**answer, "csrfmiddlewaretoken": token_one}).status_code == 403


def test_a_visitor_keeps_their_csrf_cookie_across_kept_pages():
    visitor = Client(enforce_csrf_checks=True)
    Client().get(QUESTION)
    visitor.get(QUESTION)
    secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    again = visitor.get(QUESTION)
    assert unmask(form_tokens(again)[0]) == secret
    assert visitor.cookies[settings.CSRF_COOKIE_NAME].value == secret


def test_a_content_change_is_seen_at_once():
    Client().get(QUESTION)
    question = Question.objects.get(slug="what-is-p99")
    question.title = "A retitled question about P99"
    question.save()  # bumps the content version
    assert "A retitled question about P99" in Client().get(QUESTION).content.decode()


def test_a_signed_in_reader_never_gets_the_kept_page(learner):
    Client().get(QUESTION)
    reader = Client()
    reader.force_login(learner)
    page = reader.get(QUESTION).content.decode()
    assert "Log out" in page and learner.username in page


def test_a_page_that_starts_a_session_is_not_kept():
    """A calculated question gives each visitor their own numbers in a session: never shared."""
    slug = Question.objects.filter(type=Question.Type.CALCULATED, is_retired=False).values_list(
        "slug", flat=True).first()
    first = Client().get(f"/questions/{slug}/")
    second = Client().get(f"/questions/{slug}/")
    assert first.cookies.get(settings.SESSION_COOKIE_NAME) and second.cookies.get(settings.SESSION_COOKIE_NAME)
    assert first.cookies[settings.SESSION_COOKIE_NAME].value != second.cookies[settings.SESSION_COOKIE_NAME].value
    assert kept_pages() == 0


def test_any_other_cookie_is_a_personal_request():
    Client().get("/questions/")
    visitor = Client()
    visitor.cookies["messages"] = "a flash message for this visitor"
    with CaptureQueriesContext(connection) as queries:
        assert visitor.get("/questions/").status_code == 200
    assert len(queries) > 1  # built as usual, not the kept copy


def test_htmx_fragments_and_whole_pages_are_kept_apart():
    whole = Client().get("/questions/")
    fragment = Client().get("/questions/", HTTP_HX_REQUEST="true")
    assert b"<html" in whole.content and b"<html" not in fragment.content


def test_a_kept_api_read_answers_304_to_its_etag():
    first = Client().get("/api/v1/topics/")
    etag = first["ETag"]
    assert Client().get("/api/v1/topics/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_pages_and_posts_that_are_not_content_pass_through(learner):
    assert Client().get("/accounts/login/").status_code == 200
    assert Client().get("/no-such-page/").status_code == 404
    assert Client().get("/favicon.ico").status_code == 200
    assert kept_pages() == 0


def test_a_flood_of_kept_pages_never_evicts_rate_limit_counters():
    """Distinct URLs fill the pages cache; the default cache (throttles, lockouts) is another store."""
    caches["default"].set("throttle-counter", 7)
    pages = caches["pages"]
    limit = pages._max_entries
    for n in range(limit + 50):
        pages.set(f"page:flood:{n}", b"x")
    assert caches["default"].get("throttle-counter") == 7
    assert kept_pages() <= limit


def test_cutting_tokens_finds_every_masked_form_of_the_secret_and_nothing_else():
    """Hand-made tokens: a mask of all 'a' (index 0) leaves the secret readable as the cipher."""
    secret = "b" * CSRF_SECRET_LENGTH
    token = "a" * CSRF_SECRET_LENGTH + secret  # unmasks to the secret
    other = "a" * CSRF_SECRET_LENGTH + "c" * CSRF_SECRET_LENGTH  # another visitor's
    assert unmask(token) == secret
    page = f'<input value="{token}"><body hx-headers=\'{{"X-CSRFToken": "{token}"}}\'> {other} x{token}'.encode()
    cut, found = cut_tokens(page, secret)
    assert found
    assert cut.count(TOKEN_PLACEHOLDER) == 2  # the third is glued to a letter: not a token
    assert other.encode() in cut and f"x{token}".encode() in cut
    assert len(TOKEN_PLACEHOLDER) == len(token)
    assert cut_tokens(page, None) == (page, False)


def test_api_links_follow_the_host_that_asked(learner):
    """DRF's pagination links are absolute: a Host with a port (it passes ALLOWED_HOSTS) must not leave its
    links in the answer kept for everyone else (signed-in readers are served by ContentCachedMixin)."""
    odd = Client().get("/api/v1/topics/", HTTP_HOST="testserver:1")
    assert odd.status_code == 200
    listing = Client(HTTP_HOST="testserver:1").get("/api/v1/questions/").json()
    assert listing["next"].startswith("http://testserver:1/")
    reader = Client()
    reader.force_login(learner)
    for client in (Client(), reader):
        assert client.get("/api/v1/questions/").json()["next"].startswith("http://testserver/")


def test_a_disallowed_host_gets_400_even_when_the_page_is_kept():
    Client().get("/questions/")
    assert Client().get("/questions/", HTTP_HOST="evil.example").status_code == 400


def test_a_page_echoing_the_placeholder_is_never_kept():
    """Kept, it would have the next visitor's token written into its links and search box."""
    url = "/questions/?q=" + TOKEN_PLACEHOLDER.decode()
    first = Client().get(url)
    assert first.status_code == 200 and TOKEN_PLACEHOLDER in first.content
    assert kept_pages() == 0
    second = Client().get(url)
    assert TOKEN_PLACEHOLDER in second.content  # echoed as sent, never swapped for this visitor's token


def test_long_query_strings_are_built_not_kept():
    assert Client().get("/questions/?topic=" + "x" * 300).status_code == 200
    assert kept_pages() == 0


def test_htmx_header_values_share_one_kept_fragment():
    Client().get("/questions/", HTTP_HX_REQUEST="true")
    Client().get("/questions/", HTTP_HX_REQUEST="TRUE-but-not-htmx")  # not htmx: the whole page
    Client().get("/questions/")
    assert kept_pages() == 2


def test_a_learners_own_quiz_neither_bumps_the_version_nor_is_kept(learner):
    from quizsite.quizzes.models import Quiz
    from quizsite.sitecache.models import current_version

    before = current_version()
    own = Quiz.objects.create(slug="my-own-quiz", title="Mine", is_curated=False)
    assert current_version() == before
    assert Client().get(f"/quizzes/{own.slug}/").status_code == 200
    assert kept_pages() == 0


def test_a_cache_that_is_away_costs_the_cache_not_the_page(settings):
    """Redis down (a real client against a port nobody listens on): pages and API reads are built and
    served as if nothing were kept, twice over."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                    "LOCATION": "redis://127.0.0.1:9/0"}}
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: the store is really away
        caches["pages"].get("anything")
    for path in ("/questions/", "/questions/", "/api/v1/topics/", "/api/v1/topics/"):
        assert Client().get(path).status_code == 200, path

"""Content API reads are cached whole under the content version, with ETags (quizsite.sitecache)."""

import pytest
from django.core.management import call_command

from quizsite.questions.models import Question
from quizsite.sitecache.models import current_version

pytestmark = pytest.mark.django_db

CACHED_READS = ["/api/v1/questions/", "/api/v1/questions/?topic=latency&page=1", "/api/v1/questions/what-is-p99/",
                "/api/v1/topics/", "/api/v1/quizzes/", "/api/v1/quizzes/caching-practice/", "/api/v1/labs/",
                "/api/v1/labs/first-load-test/"]


@pytest.mark.parametrize("path", CACHED_READS)
def test_a_second_read_is_the_same_bytes_for_one_query(client, path, django_assert_max_num_queries):
    """The second anonymous read reads the version and nothing else, and answers the same bytes and ETag."""
    first = client.get(path)
    assert first.status_code == 200 and first["ETag"]
    with django_assert_max_num_queries(1):
        second = client.get(path)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"]


def test_if_none_match_is_a_304_without_a_body(client):
    etag = client.get("/api/v1/topics/")["ETag"]
    response = client.get("/api/v1/topics/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response.content == b""
    assert client.get("/api/v1/topics/", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_an_edited_question_shows_at_once(client, staff_author):
    """A save (the admin's, say) bumps the version: the next read has the new title and a new ETag."""
    before = client.get("/api/v1/questions/what-is-p99/")
    question = Question.objects.get(slug="what-is-p99")
    question.title = "What is P99, really?"
    question.save()
    after = client.get("/api/v1/questions/what-is-p99/")
    assert after.json()["title"] == "What is P99, really?"
    assert after["ETag"] != before["ETag"]
    assert "What is P99, really?" in client.get("/api/v1/questions/?q=really").content.decode()


def test_load_content_bumps_the_version_even_for_bulk_writes(client):
    """A write without signals (QuerySet.update) is not seen while the old answer is cached; the next
    load_content bumps the version, and the answer is the database's again, never the stale copy."""
    original = client.get("/api/v1/questions/what-is-p99/").json()["title"]
    Question.objects.filter(slug="what-is-p99").update(title="Changed behind the cache's back")
    assert client.get("/api/v1/questions/what-is-p99/").json()["title"] == original  # cached
    version = current_version()
    call_command("load_content", verbosity=0)
    assert current_version() > version
    title = Question.objects.get(slug="what-is-p99").title
    assert client.get("/api/v1/questions/what-is-p99/").json()["title"] == title


def test_a_signed_in_learner_gets_their_own_calculated_numbers(client, learner, other_learner):
    """Question detail is cached for readers without a session only: a calculated question's variables are
    each learner's own, never another's cached copy."""
    slug = Question.objects.filter(type=Question.Type.CALCULATED, is_retired=False, needs_run=False).first().slug
    anonymous = client.get(f"/api/v1/questions/{slug}/").json()
    client.force_login(learner)
    mine = client.get(f"/api/v1/questions/{slug}/").json()
    client.force_login(other_learner)
    theirs = client.get(f"/api/v1/questions/{slug}/").json()
    assert anonymous["variables"] == {}
    assert mine["variables"] and theirs["variables"]
    assert mine["variables"] == Question.objects.get(slug=slug).variables_for(f"user-{learner.pk}")
    assert theirs["variables"] == Question.objects.get(slug=slug).variables_for(f"user-{other_learner.pk}")


def test_a_bad_token_is_refused_even_when_the_answer_is_cached(client):
    client.get("/api/v1/topics/")
    response = client.get("/api/v1/topics/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 403  # DRF refuses the token (403: sessions come first)


def test_errors_are_not_cached(client):
    assert client.get("/api/v1/questions/no-such-question/").status_code == 404
    Question.objects.filter(slug="what-is-p99").update(slug="no-such-question")
    assert client.get("/api/v1/questions/no-such-question/").status_code == 200

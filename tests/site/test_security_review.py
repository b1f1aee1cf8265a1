"""Security review: other learners' data, CSRF, open redirects, the labs target, and odd input that must
never be a 500. Each test named *_is_not_a_500 failed (with a server error) before its fix."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from labs.models import Lab, LabRun, RunStatus
from quizsite.cards.models import PersonalCard
from quizsite.cards.services import add_personal_card
from quizsite.interviews.models import Interview, Track
from quizsite.quizzes.models import Attempt, Quiz

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "\u00b2"  # "²".isdigit() is True, but int("²") raises ValueError
HUGE = "9" * 30  # beyond a 64-bit integer: SQLite raises OverflowError on it


def _interview(user, with_interviewer=True) -> Interview:
    return Interview.start(user, Track.LOAD_LATENCY, 30, 2, timezone.now(), with_interviewer=with_interviewer)


# -- one learner cannot reach another's data ------------------------------------------------------------


def test_another_learners_attempt_is_404_on_pages_and_api(client, api_client, learner, other_learner):
    attempt = Attempt.start(Quiz.objects.curated().first(), "practice", other_learner, "", timezone.now())
    client.force_login(learner)
    assert client.get(f"/attempts/{attempt.pk}/").status_code == 404
    assert client.post(f"/attempts/{attempt.pk}/q/1", {"answer": "x"}).status_code == 404
    assert client.post(f"/attempts/{attempt.pk}/finish").status_code == 404
    api_client.force_authenticate(learner)
    assert api_client.get(f"/api/v1/attempts/{attempt.pk}").status_code == 404
    assert api_client.post(f"/api/v1/attempts/{attempt.pk}/finish").status_code == 404
    anonymous = Attempt.start(attempt.quiz, "practice", AnonymousUser(), "", timezone.now())
    client.logout()
    assert client.get(f"/attempts/{anonymous.pk}/").status_code == 404  # an empty session key matches nothing


def test_another_learners_personal_card_is_404(client, api_client, learner, other_learner):
    card = add_personal_card(other_learner, "Their front", "Their back", [])
    client.force_login(learner)
    assert client.post(f"/cards/personal/{card.pk}/delete").status_code == 404
    assert PersonalCard.objects.filter(pk=card.pk).exists()
    api_client.force_authenticate(learner)
    assert (
        api_client.post(f"/api/v1/cards/p-{card.pk}/review", {"rating": 3}, format="json").status_code == 404
    )


def test_another_learners_interview_and_lab_run_are_404(client, api_client, learner, other_learner):
    interview = _interview(other_learner)
    run = LabRun.objects.create(
        lab=Lab.objects.live().first(),
        user=other_learner,
        status=RunStatus.SUCCEEDED,
        config={},
        created_at=timezone.now(),
    )
    client.force_login(learner)
    api_client.force_authenticate(learner)
    assert client.post(f"/interviews/{interview.pk}/save", {"text": "x"}).status_code == 404
    assert api_client.post(f"/api/v1/interviews/{interview.pk}/finish").status_code == 404
    for url in (f"/labs/runs/{run.pk}/", f"/labs/runs/{run.pk}/run.json", f"/labs/runs/{run.pk}/samples.csv"):
        assert client.get(url).status_code == 404
    assert client.post(f"/labs/runs/{run.pk}/cancel").status_code == 404
    assert (
        api_client.post(
            f"/api/v1/runs/{run.pk}/answers", {"question": "x", "answer": 1}, format="json"
        ).status_code
        == 404
    )


def test_the_interviewer_view_is_404_without_the_right_token(client, learner):
    interview = _interview(learner)
    token = interview.interviewer_token
    for wrong in ("x", token[:-1], token + "a", token.upper() if token.upper() != token else token.lower()):
        assert client.get(f"/interviews/{interview.pk}/i/{wrong}/").status_code == 404
    alone = _interview(learner, with_interviewer=False)
    assert client.get(f"/interviews/{alone.pk}/i/{token}/").status_code == 404
    assert (
        client.post(f"/interviews/{alone.pk}/i/{token}/notes", {"position": "1", "notes": "x"}).status_code
        == 404
    )


# -- CSRF, redirects, the labs target -------------------------------------------------------------------


def test_session_posts_need_the_csrf_token_on_pages_and_api(learner, password):
    interview = _interview(learner)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    for url in (
        "/cards/undo",
        f"/interviews/{interview.pk}/save",
        "/cards/personal/add",
        f"/interviews/{interview.pk}/i/{interview.interviewer_token}/notes",
    ):
        assert browser.post(url, {"text": "x", "position": "1", "notes": "x"}).status_code == 403, url
    api = APIClient(enforce_csrf_checks=True)
    assert api.login(username=learner.username, password=password)
    for url in ("/api/v1/cards/undo", f"/api/v1/interviews/{interview.pk}/finish", "/api/v1/interviews/"):
        assert api.post(url, {}, format="json").status_code == 403, url


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_signup_does_not_redirect_off_site(client, next_url):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": "Xy!9qwerty-long",
            "password2": "Xy!9qwerty-long",
            "next": next_url,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_signup_over_https_does_not_redirect_to_plain_http(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": "Xy!9qwerty-long",
            "password2": "Xy!9qwerty-long",
            "next": "http://testserver/cards/",
        },
        secure=True,
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    "body",
    [
        {"host": "http://evil.example"},
        {"api": {"host": "evil.example"}},
        {"HOST": "x"},
        {"locustfile": "/etc/passwd"},
        {"scenario": "../x.py"},
        {"api": {"port": 80}},
        {"master_host": "evil.example"},
    ],
)
def test_the_labs_api_refuses_to_choose_a_target(api_client, learner, body):
    api_client.force_authenticate(learner)
    lab = Lab.objects.live().first()
    response = api_client.post(f"/api/v1/labs/{lab.slug}/runs", body, format="json")
    assert response.status_code == 400
    assert not LabRun.objects.filter(user=learner).exists()


# -- XSS: learner text is sanitised --------------------------------------------------------------------------


def test_personal_card_text_is_sanitised_on_every_page(client, api_client, learner):
    add_personal_card(learner, "<script>alert(1)</script> front", "<img src=x onerror=alert(2)> back", [])
    client.force_login(learner)
    api_client.force_authenticate(learner)
    pages = [client.get(url).content.decode() for url in ("/cards/", "/cards/decks/")]
    card = next(c for c in api_client.get("/api/v1/cards/due").json()["cards"] if c["kind"] == "personal")
    pages += [card["front_html"], card["back_html"]]  # the plain "title" is JSON text, not HTML
    for body in pages:
        assert "<script>alert(1)" not in body and "onerror" not in body


# -- odd input is never a 500 ----------------------------------------------------------------------------


def test_a_non_ascii_digit_in_the_interviewer_views_is_not_a_500(client, learner):
    interview = _interview(learner)
    base = f"/interviews/{interview.pk}/i/{interview.interviewer_token}/"
    assert client.get(base, {"q": SUPERSCRIPT_TWO}).status_code == 200
    assert client.get(base + "live", {"shown": SUPERSCRIPT_TWO}).status_code == 200
    assert client.post(base + "ticks", {"position": SUPERSCRIPT_TWO, "concept": "x"}).status_code == 400
    assert client.post(base + "override", {"position": SUPERSCRIPT_TWO, "score": "5"}).status_code == 400
    assert client.get(base, {"q": "9" * 5000}).status_code == 404  # beyond int()'s digit limit


def test_a_non_ascii_digit_in_a_card_id_is_not_a_500(client, api_client, learner):
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/v1/cards/p-{SUPERSCRIPT_TWO}/review", {"rating": 3}, format="json")
    assert response.status_code == 404
    client.force_login(learner)
    response = client.post("/cards/rate", {"card": f"p-{SUPERSCRIPT_TWO}", "rating": "3", "version": "0"})
    assert response.status_code == 404


@pytest.mark.parametrize("deck", [f"personal:{SUPERSCRIPT_TWO}", f"personal:{HUGE}"])
def test_an_odd_personal_deck_filter_is_not_a_500(client, api_client, learner, deck):
    client.force_login(learner)
    api_client.force_authenticate(learner)
    assert client.get("/cards/", {"deck": deck}).status_code == 200
    assert api_client.get("/api/v1/cards/due", {"deck": deck}).status_code == 200
    assert client.get("/cards/decks/export", {"deck": deck}).status_code == 404


def test_a_huge_topic_id_is_not_a_500(client, learner):
    client.force_login(learner)
    response = client.post("/quizzes/build", {"mode": "practice", "count": "5", "topics": [HUGE]})
    assert response.status_code == 400
    response = client.post(
        "/interviews/start",
        {"track": "custom", "topics": [HUGE], "duration_minutes": "30", "question_count": "2"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{"users": int("9" * 400)}, {"api": {"cpu_ms": int("9" * 400)}}])
def test_a_huge_integer_in_a_lab_run_request_is_not_a_500(api_client, learner, body):
    api_client.force_authenticate(learner)
    lab = Lab.objects.live().first()
    response = api_client.post(f"/api/v1/labs/{lab.slug}/runs", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) & {"users", "api.cpu_ms"}


def test_deeply_nested_json_is_not_a_500(client):
    response = client.post("/api/v1/questions/anything/grade", "[" * 100_000, content_type="application/json")
    assert response.status_code in (400, 404)
    question_slug = Quiz.objects.curated().first().ordered_questions()[0].slug
    response = client.post(
        f"/api/v1/questions/{question_slug}/grade", "[" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_newline_in_the_export_deck_is_not_a_500_nor_a_header(client, learner):
    client.force_login(learner)
    response = client.get("/cards/decks/export", {"deck": 'topic:a\r\nSet-Cookie: x=1"; filename="evil.exe'})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\n" not in disposition and disposition.count('"') == 2
    assert not response.cookies.get("x")

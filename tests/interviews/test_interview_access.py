"""Who may see what: the candidate's pages need the candidate; the interviewer's need the private token."""

import secrets

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INTERVIEWER_GETS = ["interviews-interviewer", "interviews-interviewer-live"]
INTERVIEWER_POSTS = {
    "interviews-interviewer-ticks": {"position": 1, "concept": ["percentile"]},
    "interviews-interviewer-notes": {"position": 1, "notes": "sneaky"},
    "interviews-interviewer-override": {"position": 1, "score": 100, "reason": "sneaky"},
}
CANDIDATE_GETS = ["interviews-detail", "interviews-scorecard", "interviews-scorecard-md"]
CANDIDATE_POSTS = ["interviews-save", "interviews-next", "interviews-finish"]


@pytest.fixture
def interview(make_interview):
    return make_interview(with_interviewer=True)


def test_the_token_is_long_and_random(make_interview):
    """secrets.token_urlsafe(32): 43 URL-safe characters, different for every session."""
    a, b = make_interview(seed="a"), make_interview(seed="b")
    assert len(a.interviewer_token) >= 43 and a.interviewer_token != b.interviewer_token


def test_the_right_token_opens_the_interviewer_view_without_logging_in(client, interview):
    """An anonymous visitor with the link sees the rubric and the model answer."""
    response = client.get(interview.interviewer_path())
    html = response.content.decode()
    assert response.status_code == 200
    item = interview.current_item()
    for concept in item.question.rubric_concepts():
        assert concept["label"] in html
    assert item.question.spec["model_answer"].split(";")[0].split(",")[0] in html


@pytest.mark.parametrize("who", ["anonymous", "other", "candidate"])
def test_a_wrong_token_is_404_for_everyone(client, interview, other_learner, learner, who):
    """Anonymous visitor, another learner, even the candidate: a wrong token finds nothing."""
    if who == "other":
        client.force_login(other_learner)
    elif who == "candidate":
        client.force_login(learner)
    wrong = secrets.token_urlsafe(32)
    near = interview.interviewer_token[:-1] + ("A" if interview.interviewer_token[-1] != "A" else "B")
    for token in (wrong, near, "x", "é" * 43):
        for name in INTERVIEWER_GETS + ["interviews-interviewer-scorecard", "interviews-interviewer-scorecard-md"]:
            assert client.get(reverse(name, args=[interview.pk, token])).status_code == 404, (name, token)
        for name, data in INTERVIEWER_POSTS.items():
            assert client.post(reverse(name, args=[interview.pk, token]), data).status_code == 404, (name, token)
    item = interview.items.get(position=0)
    assert item.ticked == [] and item.notes == "" and item.override_score is None


def test_a_token_for_another_session_does_not_open_this_one(client, interview, make_interview):
    """Tokens belong to one session: another session's token on this id is 404."""
    other = make_interview(seed="elsewhere")
    response = client.get(reverse("interviews-interviewer", args=[interview.pk, other.interviewer_token]))
    assert response.status_code == 404


def test_a_session_without_an_interviewer_has_no_interviewer_view(client, make_interview):
    """Alone mode: no token exists, so no link opens anything."""
    alone = make_interview(with_interviewer=False)
    assert alone.interviewer_token == ""
    for token in ("", "x", "None"):
        assert not alone.check_token(token, alone.started_at)
    assert client.get(f"/interviews/{alone.pk}/i/x/").status_code == 404


def test_tokens_are_compared_in_constant_time(interview, monkeypatch):
    """The comparison goes through secrets.compare_digest."""
    calls = []
    real = secrets.compare_digest
    monkeypatch.setattr(secrets, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert interview.check_token(interview.interviewer_token, interview.started_at)
    assert not interview.check_token("nope", interview.started_at)
    assert len(calls) == 2


def test_another_learner_cannot_reach_the_candidate_pages(client, interview, other_learner):
    """The candidate's pages are 404 for another learner, and change nothing."""
    client.force_login(other_learner)
    for name in CANDIDATE_GETS:
        assert client.get(reverse(name, args=[interview.pk])).status_code == 404, name
    for name in CANDIDATE_POSTS:
        response = client.post(reverse(name, args=[interview.pk]), {"text": "hijack", "position": 1})
        assert response.status_code == 404, name
    interview.refresh_from_db()
    assert not interview.is_finished and interview.items.get(position=0).answer == ""


def test_an_anonymous_visitor_is_sent_to_log_in_for_the_candidate_pages(client, interview):
    """The candidate's side needs an account: anonymous visitors are redirected to the login page."""
    for name in CANDIDATE_GETS:
        response = client.get(reverse(name, args=[interview.pk]))
        assert response.status_code == 302 and reverse("accounts-login") in response["Location"]
    assert client.get(reverse("interviews-list")).status_code == 302

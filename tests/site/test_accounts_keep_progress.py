"""Anonymous work moves into the account on sign-up and on log-in; password reset by email with Django's
own tokens."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from quizsite.questions.models import Question
from quizsite.quizzes.models import Answer, Attempt, Quiz
from quizsite.quizzes.signals import claim_anonymous_work

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-fresh-pass-phrase-77"


def _study_anonymously(client) -> str:
    """Answer a question and start a quiz without an account; returns the session key used."""
    question = Question.objects.bank().filter(type=Question.Type.NUMERIC).order_by("slug").first()
    client.post(reverse("questions-answer", args=[question.slug]), {"answer": "1"})
    quiz = Quiz.objects.get(slug="load-testing-lesson")
    client.post(reverse("quizzes-start", args=[quiz.slug]), {"mode": "practice"})
    key = client.session.session_key
    assert Answer.objects.filter(user=None, session_key=key).count() == 1
    assert Attempt.objects.filter(user=None, session_key=key).count() == 1
    return key


def test_signing_up_keeps_what_was_answered_before(client, django_user_model):
    """History says "No answers yet" no more: the anonymous answer and attempt are the new account's."""
    key = _study_anonymously(client)
    client.post(reverse("accounts-signup"), {"username": "newbie", "password1": NEW_PASSWORD,
                                             "password2": NEW_PASSWORD})
    user = django_user_model.objects.get(username="newbie")
    assert Answer.objects.filter(user=user).count() == 1
    assert Attempt.objects.filter(user=user).count() == 1
    assert not Answer.objects.filter(session_key=key).exists()
    history = client.get(reverse("quizzes-history")).content.decode()
    assert "No answers yet" not in history and "No quizzes yet" not in history


def test_logging_in_keeps_what_was_answered_before(client, learner, password):
    """An existing learner who studied signed out finds that work in their history after logging in."""
    _study_anonymously(client)
    client.post(reverse("accounts-login"), {"username": "learner", "password": password})
    assert Answer.objects.filter(user=learner).count() == 1
    assert Attempt.objects.filter(user=learner).count() == 1


def test_claiming_is_idempotent_and_touches_only_that_session(client, learner, other_learner):
    """Claiming twice moves nothing the second time, and another session's work stays where it was."""
    from django.test import Client

    key = _study_anonymously(client)
    other_key = _study_anonymously(Client())
    assert claim_anonymous_work(learner, key) == (1, 1)
    assert claim_anonymous_work(learner, key) == (0, 0)
    assert claim_anonymous_work(other_learner, "") == (0, 0)
    assert Answer.objects.filter(user=None, session_key=other_key).count() == 1


def test_a_password_reset_mail_carries_a_one_time_link_that_sets_the_password(client, learner):
    """The reset form mails a link; the link sets a new password once, then says it no longer works."""
    response = client.post(reverse("accounts-password-reset"), {"email": "learner@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts-password-reset-done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["learner@example.com"]
    assert "Reset your Breaking Point password" in mail.outbox[0].subject
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts-password-reset-complete")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert b"This link no longer works" in client.get(link, follow=True).content


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, learner):
    """No mail for an address without an account, and the page does not reveal which addresses exist."""
    response = client.post(reverse("accounts-password-reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts-password-reset-done")
    assert mail.outbox == []


def test_the_login_page_links_to_password_reset(client):
    """The sign-up form's promise (the email is for resetting the password) is kept: the link is there."""
    assert reverse("accounts-password-reset") in client.get(reverse("accounts-login")).content.decode()

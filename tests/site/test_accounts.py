"""Sign up, log in, log out, change password; the admin covers every model."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_rejects_a_weak_password(client, django_user_model):
    weak = client.post(reverse("accounts-signup"), {"username": "sam", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and not django_user_model.objects.filter(username="sam").exists()
    ok = client.post(reverse("accounts-signup"),
                     {"username": "sam", "password1": "a-long-pass-phrase-42", "password2": "a-long-pass-phrase-42"})
    assert ok.status_code == 302
    assert "sam" in client.get("/").content.decode()


def test_log_in_and_out(client, learner, password):
    response = client.post(reverse("accounts-login"), {"username": "learner", "password": password})
    assert response.status_code == 302
    assert client.post(reverse("accounts-logout")).status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_change_password(learner_client, learner, password):
    response = learner_client.post(reverse("accounts-password-change"), {
        "old_password": password, "new_password1": "another-long-phrase-77", "new_password2": "another-long-phrase-77",
    })
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("another-long-phrase-77")


def test_signup_ignores_an_offsite_next(client):
    response = client.post(reverse("accounts-signup") + "?next=https://evil.example/",
                           {"username": "kim", "password1": "a-long-pass-phrase-42",
                            "password2": "a-long-pass-phrase-42", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_every_project_model_is_in_the_admin():
    ours = [m for m in apps.get_models() if m.__module__.startswith(("quizsite.", "labs."))]
    assert ours
    missing = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    assert missing == []


def test_admin_pages_load_for_staff(client, staff_author):
    client.force_login(staff_author)
    for model in [m for m in apps.get_models() if m.__module__.startswith(("quizsite.", "labs."))]:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_forms_are_csrf_protected(learner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    response = strict.post(reverse("questions-answer", args=["what-is-p99"]), {"answer": "x"})
    assert response.status_code == 403

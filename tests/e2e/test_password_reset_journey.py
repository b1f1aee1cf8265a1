"""A learner who forgot their password resets it through the mail they receive, then logs in with it."""

import re

from django.core import mail
from playwright.sync_api import expect

NEW_PASSWORD = "a-fresh-pass-phrase-77"


def test_reset_a_forgotten_password_through_the_mail(site, page, django_user_model):
    django_user_model.objects.create_user("forgetful", "forgetful@example.com", "an-old-pass-phrase-11")
    page.goto(site.url + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label(re.compile(r"^New password:?$")).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^New password confirmation:?$")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()

    page.locator("main").get_by_role("button", name="Log in").click()
    page.get_by_label("Username").fill("forgetful")
    page.get_by_label(re.compile(r"^Password:?$")).fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator("header")).to_contain_text("forgetful")

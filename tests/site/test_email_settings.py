"""EMAIL_URL configures outgoing mail; nothing set prints mails to the console; a bad value fails loudly."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from quizsite.settings import email_config

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize("value", [None, "", "console://"])
def test_without_email_url_mails_go_to_the_console(monkeypatch, value):
    """A fresh machine needs no mail server: the console backend prints the reset mail."""
    if value is None:
        monkeypatch.delenv("EMAIL_URL", raising=False)
    else:
        monkeypatch.setenv("EMAIL_URL", value)
    assert email_config() == {"BACKEND": CONSOLE}


@pytest.mark.parametrize(("url", "host", "port", "user", "password", "tls", "ssl"), [
    ("smtp://mail.example.com", "mail.example.com", 25, "", "", False, False),
    ("smtp+tls://bp%40example.com:p%3Ass@smtp.example.com:2525", "smtp.example.com", 2525, "bp@example.com",
     "p:ss", True, False),
    ("smtp+tls://u:p@smtp.example.com", "smtp.example.com", 587, "u", "p", True, False),
    ("smtps://u:p@smtp.example.com", "smtp.example.com", 465, "u", "p", False, True),
])  # fmt: skip
def test_an_smtp_url_sets_host_port_user_password_and_tls(monkeypatch, url, host, port, user, password, tls, ssl):
    """The URL's parts become the SMTP mailer's host, port, user, password and TLS, percent-decoded."""
    monkeypatch.setenv("EMAIL_URL", url)
    assert email_config() == {"BACKEND": SMTP, "OPTIONS": {
        "host": host, "port": port, "username": user, "password": password, "use_tls": tls, "use_ssl": ssl,
        "timeout": 10,
    }}


@pytest.mark.parametrize(("url", "message"), [
    ("mail.example.com", "must start with"),
    ("imap://mail.example.com", "must start with"),
    ("smtp://", "has no host"),
    ("smtp://mail.example.com:port", "is not a mail URL"),
    ("smtp://mail.example.com:99999", "is not a mail URL"),
])  # fmt: skip
def test_a_bad_email_url_raises_improperly_configured_naming_the_variable(monkeypatch, url, message):
    """A typo stops the site at start-up with the variable's name, not at the first password reset."""
    monkeypatch.setenv("EMAIL_URL", url)
    with pytest.raises(ImproperlyConfigured, match=f"EMAIL_URL.*{message}|{message}.*EMAIL_URL|EMAIL_URL {message}"):
        email_config()


def test_the_smtp_mailer_is_built_from_the_url(monkeypatch, settings):
    """Django builds a working SMTP backend from the parsed options (no connection is opened here)."""
    from django.core import mail

    monkeypatch.setenv("EMAIL_URL", "smtp+tls://bp:secret@smtp.example.com:2525")
    settings.MAILERS = {"default": email_config()}
    backend = mail.mailers["default"]
    assert (backend.host, backend.port, backend.username, backend.password, backend.use_tls) == (
        "smtp.example.com", 2525, "bp", "secret", True)


@pytest.mark.parametrize("url", [
    "smtp://bp:hunter2-secret@",
    "smtp://bp:hunter2-secret@mail.example.com:port",
    "ftp://bp:hunter2-secret@mail.example.com",
    "smtp://bp:p@hunter2-secret@",  # an unencoded "@" in the password
])  # fmt: skip
def test_a_bad_email_url_error_does_not_show_the_password(monkeypatch, url):
    """The start-up error names the URL for the operator, with the password replaced by ***: it ends up in logs."""
    monkeypatch.setenv("EMAIL_URL", url)
    with pytest.raises(ImproperlyConfigured) as raised:
        email_config()
    assert "hunter2" not in str(raised.value) and "bp:***@" in str(raised.value)

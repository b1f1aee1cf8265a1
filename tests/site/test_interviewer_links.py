"""Interviewer links expire a set time after the interview ends, the candidate can revoke or regenerate
them, and their token never reaches a log (Django's records or gunicorn's access log)."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from quizsite.interviews.models import Interview, Status, Track
from quizsite.redaction import RedactingFilter, redact

pytestmark = pytest.mark.django_db


def _interview(user, started_ago=timedelta(0), minutes=30) -> Interview:
    return Interview.start(user, Track.LOAD_LATENCY, minutes, 2, timezone.now() - started_ago, with_interviewer=True)


def test_the_link_works_until_a_set_time_after_the_deadline(client, learner):
    """Ended by its deadline 71 hours ago: still open (72 h by default); 73 hours ago: a 404."""
    fresh = _interview(learner, timedelta(hours=71, minutes=30))
    stale = _interview(learner, timedelta(hours=73, minutes=30))
    assert client.get(fresh.interviewer_path()).status_code == 200
    assert client.get(stale.interviewer_path()).status_code == 404
    assert client.get(stale.interviewer_path() + "scorecard.md").status_code == 404


def test_finishing_early_starts_the_clock(client, learner, settings):
    """An interview finished early: the link expires that long after the finish, not after the deadline."""
    settings.INTERVIEWER_LINK_TTL_HOURS = 1
    interview = _interview(learner, timedelta(hours=2), minutes=180)
    interview.finished_at = timezone.now() - timedelta(hours=1, minutes=1)
    interview.status = Status.FINISHED
    interview.save()
    assert client.get(interview.interviewer_path()).status_code == 404


def test_the_candidate_regenerates_and_revokes_the_link(client, learner, other_learner):
    """A new link kills the old one; revoking kills every link; nobody else may do either."""
    interview = _interview(learner)
    old = interview.interviewer_path()
    client.force_login(other_learner)
    assert client.post(f"/interviews/{interview.pk}/interviewer-link", {"action": "revoke"}).status_code == 404
    client.force_login(learner)
    assert client.post(f"/interviews/{interview.pk}/interviewer-link", {"action": "regenerate"}).status_code == 302
    interview.refresh_from_db()
    assert client.get(old).status_code == 404 and client.get(interview.interviewer_path()).status_code == 200
    page = client.get(f"/interviews/{interview.pk}/").content.decode()
    assert interview.interviewer_token in page and "Revoke the link" in page
    assert client.post(f"/interviews/{interview.pk}/interviewer-link", {"action": "revoke"}).status_code == 302
    assert client.get(f"/interviews/{interview.pk}/i/{interview.interviewer_token}/").status_code == 404
    interview.refresh_from_db()
    assert interview.interviewer_token == ""
    assert "The link was revoked" in client.get(f"/interviews/{interview.pk}/").content.decode()


def test_redact_cuts_the_token_from_paths_urls_and_referers():
    """Every shape a logged URL takes."""
    token = "AbC-123_xyz"
    for text in (f"GET /interviews/7/i/{token}/live?shown=1 HTTP/1.1", f"https://h/interviews/7/i/{token}",
                 f'"Not Found: /interviews/7/i/{token}/notes"'):
        assert token not in redact(text) and "/interviews/7/i/[redacted]" in redact(text)
    assert redact("/interviews/7/scorecard") == "/interviews/7/scorecard"


def test_django_log_records_are_redacted_by_the_site_handler():
    """The site's console handler carries the filter, and the filter rewrites a 404 warning."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    assert handlers
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/interviews/3/i/SECRET/",), None)
    RedactingFilter().filter(record)
    assert "SECRET" not in record.getMessage()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorns_access_log_never_holds_the_token(tmp_path: Path):
    """A real gunicorn with the site's gunicorn.conf.py: a request (with a Referer) to an interviewer URL
    shows in the access log with the token cut out."""
    port = _free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizsite.settings", "SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "quizsite.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", str(log)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/interviews/5/i/TopSecretToken123/live"
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(url, headers={"Referer": f"http://127.0.0.1:{port}/interviews/5/i/TopSecretToken123/"})
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError:
                break  # answered (a 404 or a 500 without migrations): it was logged
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
            else:
                break
        for _ in range(50):
            if log.exists() and log.read_text():
                break
            time.sleep(0.1)
        text = log.read_text()
        assert "/interviews/5/i/[redacted]/live" in text and "TopSecretToken123" not in text
    finally:
        server.terminate()
        server.wait(timeout=20)

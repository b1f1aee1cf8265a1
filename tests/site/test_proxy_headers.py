"""With HTTPS=1 and no proxy declared, a client cannot claim HTTPS with X-Forwarded-Proto, neither to Django
nor to gunicorn (whose default trusts any client on 127.0.0.1); with NUM_PROXIES=1 the proxy's header counts."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _status_behind_gunicorn(tmp_path, proxies: str) -> int:
    port = _free_port()
    env = {**os.environ, "HTTPS": "1", "NUM_PROXIES": proxies, "PORT": str(port), "DEBUG": "0",
           "SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    env.pop("DATABASE_URL", None)
    env.pop("FORWARDED_ALLOW_IPS", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "quizsite.wsgi",
                               "--workers", "1", "--access-logfile", "/dev/null"],
                              cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        deadline = time.monotonic() + 60
        while True:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/no-such-page/",
                                             headers={"X-Forwarded-Proto": "https"})
            try:
                return opener.open(request, timeout=5).status
            except urllib.error.HTTPError as error:
                return error.code
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
def test_a_client_cannot_claim_https_without_a_declared_proxy(tmp_path):
    """NUM_PROXIES=0: the forged header still gets the redirect to https (301); NUM_PROXIES=1: the proxy's
    word is taken, so no redirect (the page is then a 404)."""
    assert _status_behind_gunicorn(tmp_path, "0") == 301
    assert _status_behind_gunicorn(tmp_path, "1") != 301

"""gunicorn's settings for `make run` (read with `gunicorn -c gunicorn.conf.py quizsite.wsgi`).

SIGTERM is graceful: the workers stop accepting, finish the requests in flight for up to graceful_timeout
seconds, then exit. /healthz is left out of the access log (a load balancer asks every few seconds), and
secrets in URLs (the interviewer's link token) are redacted from it.
"""

import os

from quizsite.gunicorn_logger import RedactingLogger

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4
timeout = 30
graceful_timeout = 10
accesslog = "-"
# X-Forwarded-Proto is believed only from a proxy the site declares (NUM_PROXIES, as in Django's settings):
# without one, gunicorn trusts no front end (its default trusts 127.0.0.1, which every local client is).
_proxies = os.environ.get("NUM_PROXIES", "0").strip()
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "127.0.0.1,::1" if _proxies.isdigit() and int(_proxies) > 0 else "")


class QuietHealthLogger(RedactingLogger):
    """gunicorn's logger without an access line per health check, and with the interviewer's private link
    token cut from every access line (quizsite.gunicorn_logger)."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") != "/healthz":
            super().access(resp, req, environ, request_time)


logger_class = QuietHealthLogger
control_socket_disable = True  # several sites (and the tests) on one machine would share one socket path

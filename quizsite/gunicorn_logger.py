"""Gunicorn's logger with secrets cut from the access log (gunicorn.conf.py's logger builds on it): every
atom (request line, path, Referer, raw URI) is redacted."""

from gunicorn.glogging import Logger

from quizsite.redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}

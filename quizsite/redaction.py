"""Secrets kept out of logs: the interviewer's private link token is cut from every logged path, URL and
Referer, in Django's log records and in gunicorn's access log."""

import logging
import re

INTERVIEWER_TOKEN = re.compile(r"(/interviews/\d+/i/)[^/?#\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return INTERVIEWER_TOKEN.sub(rf"\g<1>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with the secrets cut out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True

"""Taking this process's database away for real, and giving it back: the settings of the live connection
point at a database that cannot be opened (SQLite: a file in a missing folder; PostgreSQL: a port nothing
listens on), so every new connection fails the way it does in an outage."""

import contextlib
import socket

from django.db import connection


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released at once: nothing listens there


@contextlib.contextmanager
def database_down():
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-breaking-point/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

"""Fault fixtures: PostgreSQL behind a TCP proxy the test can close, and the site's processes."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests.faults.proxy import TcpProxy


@pytest.fixture
def postgres_proxy(transactional_db):
    """A proxy in front of the test's PostgreSQL database (skipped on SQLite, which has no server to lose)."""
    if connection.vendor != "postgresql":
        pytest.skip("cutting the database needs a server: run with DATABASE_URL=postgres://... (CI does)")
    db = connection.settings_dict
    with TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)) as proxy:
        yield proxy


def proxied_database_url(proxy: TcpProxy) -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@127.0.0.1:{proxy.port}/{db['NAME']}"


@pytest.fixture
def content(transactional_db):
    call_command("load_content", verbosity=0)  # transactional tests start from an empty database

"""Shared fixtures: personas, the loaded content, fixed clocks."""

import pytest
from django.core.management import call_command

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The whole content tree, loaded once; each test's transaction is rolled back over it."""
    with django_db_blocker.unblock():
        call_command("load_content", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with empty caches: throttles, lockouts and kept pages never leak from one test to the
    next (a rolled-back transaction also rolls the content version back)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def learner(django_user_model):
    return django_user_model.objects.create_user("learner", "learner@example.com", PASSWORD)


@pytest.fixture
def other_learner(django_user_model):
    return django_user_model.objects.create_user("other", "other@example.com", PASSWORD)


@pytest.fixture
def staff_author(django_user_model):
    return django_user_model.objects.create_superuser("author", "author@example.com", PASSWORD)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


def pytest_configure(config):
    """Tests render templates without collectstatic (plain static storage), and SQLite tests use a file
    database so that subprocesses (the labs worker) and racing threads share it."""
    import os
    import tempfile
    from pathlib import Path

    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and not (database.get("TEST") or {}).get("NAME"):
        path = Path(tempfile.gettempdir()) / f"breakingpoint-test-{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

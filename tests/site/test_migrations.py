"""Models and migrations never drift: every model change comes with its migration."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_migrations_describe_the_models_exactly():
    """`makemigrations --check --dry-run` finds nothing to write (it exits non-zero when it would)."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models and migrations differ (exit {exit_.code}); run makemigrations:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()

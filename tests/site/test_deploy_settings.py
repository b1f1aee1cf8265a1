"""Production settings pass Django's deployment checklist, and bad settings fail loudly."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x9!kz2" * 12,
    "ALLOWED_HOSTS": "breakingpoint.example.com",
    # Password reset mails need a real mail server in production (console mail fails the deploy check).
    "EMAIL_URL": "smtp+tls://breakingpoint:secret@smtp.example.com:587",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_boolean_setting_names_the_variable():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def test_check_deploy_refuses_console_mail_in_production():
    """Without EMAIL_URL a production site could not send password resets: the deploy check says so."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "mail.E001" in result.stdout + result.stderr


def documented_production_env() -> dict[str, str]:
    """The environment docs/deploy.md gives every host (the ini block after its production-env marker)."""
    text = (Path(settings.BASE_DIR) / "docs" / "deploy.md").read_text()
    block = re.search(r"<!-- production-env[^>]*-->\s*```ini\n(.*?)```", text, re.DOTALL)
    assert block, "docs/deploy.md lost its production environment block"
    pairs = [line.split("=", 1) for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_deploy_guides_environment_passes_check_deploy(tmp_path):
    """What docs/deploy.md tells every host to set is clean under `check --deploy --fail-level WARNING`, and
    it names the settings several hosts need (shared key, Redis, PostgreSQL, one proxy)."""
    env = documented_production_env()
    for name in ("SECRET_KEY", "HTTPS", "ALLOWED_HOSTS", "EMAIL_URL", "DATABASE_URL", "REDIS_URL", "NUM_PROXIES"):
        assert env.get(name), name
    assert env["HTTPS"] == "1" and env["DEBUG"] == "0" and env["NUM_PROXIES"] == "1"
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY_FILE=str(tmp_path / "no-key"),
                        **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert not (tmp_path / "no-key").exists()


def test_check_deploy_warns_when_each_host_would_make_its_own_secret_key(tmp_path):
    """Without SECRET_KEY each machine generates a key of its own into a file: behind a balancer, one host's
    sessions and CSRF tokens would be refused by the next, so the deploy check says to set it."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="",
                        SECRET_KEY_FILE=str(tmp_path / "key"), **env)
    assert result.returncode != 0
    assert "quizsite.W001" in result.stdout + result.stderr

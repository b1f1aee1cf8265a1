"""`python -m quizsite.static_stamp`: collectstatic only when the static files changed (what `make run` runs).

The stamp is a hash of every static file the finders see (its path, size and modification time), the storage
backend and STATIC_ROOT, kept in STATIC_ROOT/.collectstatic-stamp. When it matches and the collected tree is
there (its manifest, for the hashed storage), collectstatic is skipped: a second `make run` starts in about a
second instead of half a minute. Any added, removed, edited or touched file (an upgraded package's assets
included) changes the stamp, and collectstatic runs again.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

STAMP_NAME = ".collectstatic-stamp"
# collectstatic's default ignore patterns, and the accessibility checker vendored for the browser tests
# (tests/e2e read it from static/vendor/axe; no page serves it, and compressing its 650 kB took seconds).
IGNORE_PATTERNS = ["CVS", ".*", "*~", "vendor/axe/*"]


def fingerprint() -> str:
    """The hash of the static tree as collectstatic would collect it, and of where and how it would."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    digest.update(f"{settings.STORAGES['staticfiles']['BACKEND']}\0{settings.STATIC_ROOT}\0".encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collected(static_root: Path) -> bool:
    """Is a collected tree there? (The hashed storage cannot serve without its manifest.)"""
    from django.conf import settings

    if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]:
        return (static_root / "staticfiles.json").is_file()
    return static_root.is_dir()


def collect_if_changed(verbosity: int = 0) -> bool:
    """Run collectstatic unless the stamp says nothing changed since the last run; True when it ran."""
    from django.conf import settings
    from django.core.management import call_command

    static_root = Path(settings.STATIC_ROOT)
    stamp = static_root / STAMP_NAME
    current = fingerprint()
    if collected(static_root) and stamp.is_file() and stamp.read_text().strip() == current:
        return False
    if stamp.exists():
        stamp.unlink()  # a collectstatic that fails half-way leaves no stamp behind
    call_command("collectstatic", interactive=False, verbosity=verbosity, ignore_patterns=IGNORE_PATTERNS)
    stamp.write_text(current + "\n")
    return True


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizsite.settings")
    import django

    django.setup()
    if collect_if_changed():
        print("Static files collected (they changed since the last run).", flush=True)
    else:
        print("Static files unchanged since the last collectstatic: skipped.", flush=True)


if __name__ == "__main__":
    main()

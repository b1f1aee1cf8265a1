"""`make run` collects static files only when they changed (quizsite.static_stamp)."""

import os

import pytest

from quizsite.static_stamp import STAMP_NAME, collect_if_changed


@pytest.fixture
def static_tree(tmp_path, settings):
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n")
    (source / "js").mkdir()
    (source / "js" / "site.js").write_text("console.log('hi');\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    from django.contrib.staticfiles import finders

    finders.get_finder.cache_clear()
    yield source
    finders.get_finder.cache_clear()


def test_first_run_collects_and_second_run_skips(static_tree, settings):
    """The first start collects and stamps; a start with nothing changed skips collectstatic."""
    assert collect_if_changed() is True
    assert (settings.STATIC_ROOT / "staticfiles.json").is_file()
    assert (settings.STATIC_ROOT / STAMP_NAME).is_file()
    assert collect_if_changed() is False


def test_an_edited_file_is_collected_again(static_tree, settings):
    """Editing a file (its size and mtime change) runs collectstatic, and the new content is served."""
    collect_if_changed()
    css = static_tree / "css" / "site.css"
    css.write_text("body { color: navy; }\n")
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000_000))
    assert collect_if_changed() is True
    assert (settings.STATIC_ROOT / "css" / "site.css").read_text() == "body { color: navy; }\n"
    assert collect_if_changed() is False


def test_a_touched_added_or_removed_file_runs_it_again(static_tree, settings):
    """Same content but a new mtime, a new file, a removed file: each runs collectstatic."""
    collect_if_changed()
    js = static_tree / "js" / "site.js"
    os.utime(js, ns=(js.stat().st_atime_ns, js.stat().st_mtime_ns + 1_000_000_000))
    assert collect_if_changed() is True
    (static_tree / "js" / "more.js").write_text("1;\n")
    assert collect_if_changed() is True
    assert (settings.STATIC_ROOT / "js" / "more.js").is_file()
    (static_tree / "js" / "more.js").unlink()
    assert collect_if_changed() is True
    assert collect_if_changed() is False


def test_a_missing_collected_tree_is_collected_even_with_a_stamp(static_tree, settings):
    """A stamp without its collected manifest (someone deleted staticfiles/) does not skip."""
    collect_if_changed()
    (settings.STATIC_ROOT / "staticfiles.json").unlink()
    assert collect_if_changed() is True
    assert (settings.STATIC_ROOT / "staticfiles.json").is_file()


def test_the_vendored_accessibility_checker_is_not_collected(static_tree, settings):
    """axe is read from static/vendor by the browser tests only: it is neither collected nor compressed."""
    (static_tree / "vendor" / "axe").mkdir(parents=True)
    (static_tree / "vendor" / "axe" / "axe.min.js").write_text("/* axe */\n")
    collect_if_changed()
    assert (settings.STATIC_ROOT / "css" / "site.css").is_file()
    assert not (settings.STATIC_ROOT / "vendor" / "axe").exists()

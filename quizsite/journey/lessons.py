"""Lessons are Markdown files under content/lessons/ with a small front matter block:

    ---
    id: load-testing-with-locust
    title: Load testing with Locust
    summary: One sentence for the home page.
    minutes: 30
    ---
    ## The lesson's first heading ...

The body is rendered by the site's sanitised Markdown renderer.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.http import Http404

from quizsite.lib.markdown import render_markdown

REQUIRED = ("id", "title", "summary")


class LessonError(ValueError):
    """A lesson file that cannot be shown, with every problem listed."""


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    summary: str
    minutes: int
    body: str

    @property
    def html(self) -> str:
        return render_markdown(self.body)


def parse_lesson(text: str, source: str) -> Lesson:
    """A lesson from its file text; LessonError names the file and every missing or wrong field."""
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise LessonError(f"{source}: the file must start with a front matter block between '---' lines")
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise LessonError(f"{source}: the front matter is not YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise LessonError(f"{source}: the front matter must be a mapping of fields")
    errors = [f"{source}: {name}: required" for name in REQUIRED if not str(meta.get(name) or "").strip()]
    minutes = meta.get("minutes", 20)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        errors.append(f"{source}: minutes: a whole number of minutes, got {minutes!r}")
    if not body.strip():
        errors.append(f"{source}: the lesson has no text after the front matter")
    if errors:
        raise LessonError("\n".join(errors))
    return Lesson(slug=str(meta["id"]), title=str(meta["title"]), summary=str(meta["summary"]).strip(),
                  minutes=minutes, body=body)


def lessons_dir() -> Path:
    return Path(settings.CONTENT_DIR) / "lessons"


@lru_cache(maxsize=32)
def _load(path: Path, mtime_ns: int) -> Lesson:
    return parse_lesson(path.read_text(encoding="utf-8"), str(path))


def get_lesson(slug: str) -> Lesson:
    """The lesson with that id (its file is <id>.md), or 404."""
    path = lessons_dir() / f"{slug}.md"
    if not slug.replace("-", "").isalnum() or not path.is_file():
        raise Http404("No such lesson")
    lesson = _load(path, path.stat().st_mtime_ns)
    if lesson.slug != slug:
        raise LessonError(f"{path}: id {lesson.slug!r} does not match the file name")
    return lesson


def all_lessons() -> list[Lesson]:
    """Every lesson file, every error at once."""
    lessons, errors = [], []
    for path in sorted(lessons_dir().glob("*.md")):
        try:
            lessons.append(get_lesson(path.stem))
        except LessonError as exc:
            errors.append(str(exc))
    if errors:
        raise LessonError("\n".join(errors))
    return lessons

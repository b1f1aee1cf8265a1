"""Content files to database rows.

Each app registers a ContentSection (questions first, then quizzes, then labs). Loading parses and
validates every file of every section before writing anything, reports all errors at once with the
file and field, then upserts by stable id inside one transaction. Items that disappeared from the
files are retired, never deleted, so learners' history stays.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from django.db import transaction

from quizsite.sitecache.models import bump_version

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ContentError:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ContentErrors(Exception):
    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__(f"{len(errors)} content error(s)")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
        )


@dataclass
class Report:
    """What a load did, per kind of item (topics, questions, quizzes, labs)."""

    counts: dict[str, Counts] = field(default_factory=dict)
    parsed: dict[str, int] = field(default_factory=dict)

    def kind(self, name: str) -> Counts:
        return self.counts.setdefault(name, Counts())


class ContentSection(Protocol):
    """One kind of content. `parse` touches no database; `apply` writes."""

    name: str
    position: int

    def parse(self, root: Path, parsed: dict[str, Any], errors: list[ContentError]) -> Any: ...

    def apply(self, items: Any, parsed: dict[str, Any], report: Report) -> None: ...


_sections: dict[str, ContentSection] = {}


def register_section(section: ContentSection) -> None:
    _sections[section.name] = section


def sections() -> list[ContentSection]:
    return sorted(_sections.values(), key=lambda s: s.position)


def content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def read_yaml(path: Path, root: Path, errors: list[ContentError]) -> Any:
    """The parsed file, or None with an error naming the line when it is not valid YAML."""
    name = relative(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ContentError(name, "", f"cannot read file: {exc}"))
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ContentError(name, where, f"invalid YAML: {problem}"))
        return None


def yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def parse_each_file(folder: Path, root: Path, errors: list[ContentError], parse_one, kind: str) -> list:
    """One item per YAML file in `folder`: parse each with `parse_one(data, file)` (None when invalid), and
    report a duplicate id naming both files."""
    items: list = []
    first_seen: dict[str, str] = {}
    for path in yaml_files(folder):
        file = relative(path, root)
        data = read_yaml(path, root, errors)
        if data is None:
            continue
        item = parse_one(data, file)
        if item is None:
            continue
        if item.slug in first_seen:
            errors.append(ContentError(file, "id", f"duplicate {kind} id {item.slug!r}, also in {first_seen[item.slug]}"))
            continue
        first_seen[item.slug] = file
        items.append(item)
    return items


def check_slug(value: Any, file: str, where: str, errors: list[ContentError]) -> bool:
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 100:
        errors.append(
            ContentError(file, where, f"must be a slug of lowercase letters, digits and hyphens, got {value!r}")
        )
        return False
    return True


def upsert(model, existing: dict, slug: str, values: dict, counts: Counts) -> tuple[Any, bool]:
    """Create or update one row by slug, telling unchanged rows by their content hash.

    Returns the row and whether it was written (a written row's children need refreshing too)."""
    row = existing.get(slug)
    if row is None:
        counts.created += 1
        return model.objects.create(slug=slug, **values), True
    if row.content_hash == values["content_hash"] and not row.is_retired:
        counts.unchanged += 1
        return row, False
    for key, value in values.items():
        setattr(row, key, value)
    row.save()
    counts.updated += 1
    return row, True


def retire_missing(queryset, live: set[str], counts: Counts) -> None:
    """Retire, never delete, the rows whose ids are no longer in the files."""
    counts.retired += queryset.filter(is_retired=False).exclude(slug__in=live).update(is_retired=True)


def load(root: Path, check: bool = False) -> Report:
    """Validate every section, then (unless check) write them all in one transaction."""
    errors: list[ContentError] = []
    parsed: dict[str, Any] = {}
    if not root.is_dir():
        raise ContentErrors([ContentError(str(root), "", "content folder does not exist")])
    for section in sections():
        parsed[section.name] = section.parse(root, parsed, errors)
    if errors:
        raise ContentErrors(errors)
    report = Report(parsed={name: len(items) for name, items in parsed.items() if hasattr(items, "__len__")})
    if check:
        return report
    with transaction.atomic():
        for section in sections():
            section.apply(parsed[section.name], parsed, report)
        bump_version()  # bulk updates above sent no signal; cached content answers are stale now
    return report

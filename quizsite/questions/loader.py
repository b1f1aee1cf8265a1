"""The questions section of the content: content/topics.yaml and content/questions/**/*.yaml."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizsite.questions.content import (
    ContentError,
    Report,
    check_slug,
    content_hash,
    read_yaml,
    relative,
    retire_missing,
    upsert,
    yaml_files,
)
from quizsite.questions.grading import validate_spec

DIFFICULTIES = {"easy": 1, "medium": 2, "hard": 3}
COMPETENCIES = {"measurement", "diagnosis", "scaling", "tradeoffs", "communication"}
TYPES = {"single", "multiple", "numeric", "calculated", "rubric"}
META_KEYS = {"id", "topic", "type", "difficulty", "competency", "title", "prompt", "explanation", "tags",
             "follow_ups"}
SPEC_KEYS = {"choices", "answer", "unit", "tolerance", "partial_tolerance", "variables", "formula",
             "model_answer", "concepts", "misconceptions", "thresholds"}
TOPIC_KEYS = {"id", "name", "description"}


@dataclass
class TopicItem:
    slug: str
    name: str
    description: str
    position: int
    file: str


@dataclass
class QuestionItem:
    slug: str
    topic: str
    type: str
    difficulty: int
    competency: str
    title: str
    prompt: str
    explanation: str
    tags: list[str]
    follow_ups: list[str]
    spec: dict[str, Any]
    file: str

    def fields(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "difficulty": self.difficulty,
            "competency": self.competency,
            "title": self.title,
            "prompt": self.prompt,
            "explanation": self.explanation,
            "follow_ups": self.follow_ups,
            "spec": self.spec,
            "source_file": self.file,
        }

    def hash(self) -> str:
        return content_hash({**self.fields(), "topic": self.topic, "tags": sorted(self.tags)})


@dataclass
class Parsed:
    topics: list[TopicItem]
    questions: list[QuestionItem]

    def __len__(self) -> int:
        return len(self.questions)

    def question_slugs(self) -> set[str]:
        return {q.slug for q in self.questions}


def spec_of(item: dict) -> dict[str, Any]:
    """The grading spec a question file item carries: its type and type-specific fields (the answer key);
    a rubric also carries the prompt, so words copied from it earn nothing."""
    spec = {**{key: item[key] for key in SPEC_KEYS if key in item}, "type": item.get("type")}
    if item.get("type") == "rubric" and isinstance(item.get("prompt"), str):
        spec["prompt"] = item["prompt"]
    return spec


def _text(item: dict, key: str, file: str, where: str, errors: list, required: bool = True) -> str:
    value = item.get(key)
    if value is None:
        if required:
            errors.append(ContentError(file, f"{where}.{key}", "is required"))
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors.append(ContentError(file, f"{where}.{key}", "must be non-empty text"))
        return ""
    return value.strip()


def parse_topics(root: Path, errors: list[ContentError]) -> list[TopicItem]:
    path = root / "topics.yaml"
    file = relative(path, root)
    if not path.exists():
        errors.append(ContentError(file, "", "missing: every question names a topic listed here"))
        return []
    data = read_yaml(path, root, errors)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        errors.append(ContentError(file, "topics", "must be a list of topics"))
        return []
    topics, seen = [], set()
    for index, item in enumerate(data["topics"]):
        where = f"topics[{index}]"
        if not isinstance(item, dict):
            errors.append(ContentError(file, where, "must be a mapping with id, name and description"))
            continue
        for key in sorted(set(item) - TOPIC_KEYS):
            errors.append(ContentError(file, f"{where}.{key}", "unknown field"))
        slug = item.get("id")
        if check_slug(slug, file, f"{where}.id", errors):
            if slug in seen:
                errors.append(ContentError(file, f"{where}.id", f"duplicate topic id {slug!r}"))
            seen.add(slug)
        name = _text(item, "name", file, where, errors)
        description = _text(item, "description", file, where, errors, required=False)
        topics.append(TopicItem(slug, name, description, index, file))
    return topics


def parse_question(item: Any, file: str, where: str, topics: set[str], errors: list) -> QuestionItem | None:
    if not isinstance(item, dict):
        errors.append(ContentError(file, where, "must be a mapping"))
        return None
    slug = item.get("id")
    if check_slug(slug, file, f"{where}.id", errors):
        where = f"{where} ({slug})"
    for key in sorted(set(item) - META_KEYS - SPEC_KEYS):
        errors.append(ContentError(file, f"{where}.{key}", "unknown field"))
    qtype = item.get("type")
    if qtype not in TYPES:
        errors.append(ContentError(file, f"{where}.type", f"must be one of {', '.join(sorted(TYPES))}"))
    topic = item.get("topic")
    if topic not in topics:
        errors.append(ContentError(file, f"{where}.topic", f"unknown topic {topic!r}; add it to topics.yaml"))
    difficulty = item.get("difficulty", "medium")
    if difficulty not in DIFFICULTIES:
        errors.append(ContentError(file, f"{where}.difficulty", "must be easy, medium or hard"))
    competency = item.get("competency", "measurement")
    if competency not in COMPETENCIES:
        errors.append(
            ContentError(file, f"{where}.competency", f"must be one of {', '.join(sorted(COMPETENCIES))}")
        )
    title = _text(item, "title", file, where, errors)
    prompt = _text(item, "prompt", file, where, errors)
    explanation = _text(item, "explanation", file, where, errors)
    tags = item.get("tags", [])
    if not isinstance(tags, list):
        errors.append(ContentError(file, f"{where}.tags", "must be a list of slugs"))
        tags = []
    for i, tag in enumerate(tags):
        check_slug(tag, file, f"{where}.tags[{i}]", errors)
    follow_ups = item.get("follow_ups", [])
    if not isinstance(follow_ups, list) or not all(isinstance(f, str) and f.strip() for f in follow_ups):
        errors.append(ContentError(file, f"{where}.follow_ups", "must be a list of non-empty texts"))
        follow_ups = []
    spec = spec_of(item)
    if qtype in TYPES:
        for message in validate_spec(spec):
            field_name, _, text = message.partition(": ")
            errors.append(ContentError(file, f"{where}.{field_name}" if text else where, text or message))
        if qtype == "rubric" and not isinstance(item.get("model_answer"), str):
            errors.append(ContentError(file, f"{where}.model_answer", "a free-text question needs a model answer"))
    if not isinstance(slug, str) or qtype not in TYPES:
        return None
    return QuestionItem(
        slug=slug,
        topic=topic,
        type=qtype,
        difficulty=DIFFICULTIES.get(difficulty, 2),
        competency=competency,
        title=title,
        prompt=prompt,
        explanation=explanation,
        tags=sorted(set(t for t in tags if isinstance(t, str))),
        follow_ups=[f.strip() for f in follow_ups],
        spec=spec,
        file=file,
    )


def parse_questions(root: Path, topics: set[str], errors: list[ContentError]) -> list[QuestionItem]:
    questions: list[QuestionItem] = []
    first_seen: dict[str, str] = {}
    files = yaml_files(root / "questions")
    if not files:
        errors.append(ContentError(relative(root / "questions", root), "", "no question files found"))
    for path in files:
        file = relative(path, root)
        data = read_yaml(path, root, errors)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            errors.append(ContentError(file, "questions", "the file must hold a list named questions"))
            continue
        for key in sorted(set(data) - {"questions"}):
            errors.append(ContentError(file, key, "unknown field (a file holds only `questions:`)"))
        for index, raw in enumerate(data["questions"]):
            item = parse_question(raw, file, f"questions[{index}]", topics, errors)
            if item is None:
                continue
            if item.slug in first_seen:
                errors.append(
                    ContentError(
                        file, f"questions[{index}].id", f"duplicate id {item.slug!r}, also in {first_seen[item.slug]}"
                    )
                )
                continue
            first_seen[item.slug] = file
            questions.append(item)
    return questions


class QuestionSection:
    name = "questions"
    position = 10

    def parse(self, root: Path, parsed: dict, errors: list[ContentError]) -> Parsed:
        topics = parse_topics(root, errors)
        questions = parse_questions(root, {t.slug for t in topics}, errors)
        return Parsed(topics, questions)

    def apply(self, items: Parsed, parsed: dict, report: Report) -> None:
        from quizsite.questions.models import Question, Tag, Topic

        topic_counts = report.kind("topics")
        topics: dict[str, Topic] = {t.slug: t for t in Topic.objects.all()}
        for item in items.topics:
            values = {"name": item.name, "description": item.description, "position": item.position,
                      "is_retired": False}
            existing = topics.get(item.slug)
            if existing is None:
                topics[item.slug] = Topic.objects.create(slug=item.slug, **values)
                topic_counts.created += 1
            elif any(getattr(existing, k) != v for k, v in values.items()):
                Topic.objects.filter(pk=existing.pk).update(**values)
                topic_counts.updated += 1
            else:
                topic_counts.unchanged += 1
        live_topics = {t.slug for t in items.topics}
        retire_missing(Topic.objects.all(), live_topics, topic_counts)

        tags = {t.slug: t for t in Tag.objects.all()}
        for slug in {tag for q in items.questions for tag in q.tags} - set(tags):
            tags[slug] = Tag.objects.create(slug=slug)

        counts = report.kind("questions")
        existing_questions = {q.slug: q for q in Question.objects.all()}
        for item in items.questions:
            fields = {**item.fields(), "topic": topics[item.topic], "content_hash": item.hash(), "is_retired": False}
            question, written = upsert(Question, existing_questions, item.slug, fields, counts)
            if written:
                question.tags.set([tags[t] for t in item.tags])
        retire_missing(Question.objects.all(), items.question_slugs(), counts)

"""load_content: validate everything first, report every error, upsert by id, retire instead of delete."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from quizsite.questions.content import ContentErrors, load
from quizsite.questions.models import Question, Topic
from quizsite.quizzes.models import Answer, Quiz

TOPICS = """
topics:
  - id: latency
    name: Latency
    description: Percentiles.
"""

CHOICE = """
  - id: {id}
    topic: latency
    type: single
    title: {title}
    prompt: Which is the median?
    explanation: The median is P50.
    choices:
      - {{id: a, text: P50, correct: true}}
      - {{id: b, text: P99, correct: false}}
"""


def write_tree(root: Path, questions: str, quizzes: dict[str, str] | None = None) -> Path:
    (root / "questions").mkdir(parents=True, exist_ok=True)
    (root / "quizzes").mkdir(exist_ok=True)
    (root / "topics.yaml").write_text(TOPICS)
    (root / "questions" / "q.yaml").write_text("questions:\n" + questions)
    for name, text in (quizzes or {}).items():
        (root / "quizzes" / name).write_text(text)
    return root


def test_the_whole_content_tree_is_valid_and_loads(db):
    """The shipped content passes --check and loads; every live question can be graded."""
    call_command("load_content", "--check")
    call_command("load_content")
    questions = list(Question.objects.live())
    assert len(questions) >= 20
    assert {"what-is-p99", "debug-high-latency"} <= {q.slug for q in questions}
    types = {q.type for q in questions}
    assert types == set(Question.Type.values)
    for question in questions:
        if question.uses_run_variables:
            continue
        result = question.grade("", question.variables_for("seed") or None)
        assert result.verdict == "invalid", question.slug
    assert Quiz.objects.curated().filter(slug="load-testing-lesson").exists()


def test_check_reports_every_error_with_file_and_field(tmp_path, db):
    """Errors in several files and fields are all reported at once, and nothing is written."""
    root = write_tree(
        tmp_path,
        CHOICE.format(id="ok-question", title="Fine")
        + "\n  - id: Bad_Id\n    topic: nowhere\n    type: single\n    title: x\n    prompt: y\n    explanation: z\n"
        "    choices: [{id: a, text: A, correct: false}]\n    colour: red\n",
        {"broken.yaml": "id: q1\ntitle: Quiz\nquestions: [no-such-question]\n", "bad.yaml": "id: [unclosed\n"},
    )
    before = Question.objects.count()
    with pytest.raises(ContentErrors) as caught:
        load(root, check=False)
    messages = [str(e) for e in caught.value.errors]
    joined = "\n".join(messages)
    assert "questions/q.yaml: questions[1].id" in joined
    assert "questions[1].topic: unknown topic 'nowhere'" in joined
    assert "colour: unknown field" in joined
    assert "choices" in joined  # no correct choice for a single-choice question
    assert "quizzes/broken.yaml: questions[0]: no question with id 'no-such-question'" in joined
    assert "quizzes/bad.yaml" in joined and "invalid YAML" in joined
    assert len(messages) >= 6
    assert Question.objects.count() == before


def test_command_prints_every_error_and_fails(tmp_path, db, capsys):
    root = write_tree(tmp_path, CHOICE.format(id="dup", title="A") + CHOICE.format(id="dup", title="B"))
    with pytest.raises(CommandError, match="1 error"):
        call_command("load_content", "--check", "--path", str(root))
    assert "duplicate id 'dup'" in capsys.readouterr().err


def test_upsert_counts_created_updated_unchanged_retired(tmp_path, db, capsys):
    """A second load of the same files changes nothing; edits update; removals retire."""
    Question.objects.all().update(is_retired=True)
    root = write_tree(tmp_path, CHOICE.format(id="bp-one", title="One") + CHOICE.format(id="bp-two", title="Two"))
    call_command("load_content", "--path", str(root))
    assert "questions: 2 created, 0 updated, 0 unchanged" in capsys.readouterr().out

    call_command("load_content", "--path", str(root))
    assert "questions: 0 created, 0 updated, 2 unchanged, 0 retired" in capsys.readouterr().out

    write_tree(tmp_path, CHOICE.format(id="bp-one", title="One, edited"))
    call_command("load_content", "--path", str(root))
    out = capsys.readouterr().out
    assert "questions: 0 created, 1 updated, 0 unchanged, 1 retired" in out
    assert Question.objects.get(slug="bp-one").title == "One, edited"
    assert Question.objects.get(slug="bp-two").is_retired


def test_retired_question_keeps_learner_history(tmp_path, db, learner, capsys):
    """Removing a question from the files retires it; answers stay; putting it back revives it."""
    root = write_tree(tmp_path, CHOICE.format(id="bp-keep", title="Keep") + CHOICE.format(id="bp-go", title="Go"))
    call_command("load_content", "--path", str(root))
    question = Question.objects.get(slug="bp-go")
    from django.utils import timezone

    Answer.objects.create(question=question, user=learner, response="a", score=1, verdict="correct",
                          grade={}, created_at=timezone.now())
    write_tree(tmp_path, CHOICE.format(id="bp-keep", title="Keep"))
    call_command("load_content", "--path", str(root))
    question.refresh_from_db()
    assert question.is_retired
    assert Answer.objects.filter(question=question, user=learner).count() == 1
    assert not Question.objects.live().filter(slug="bp-go").exists()

    write_tree(tmp_path, CHOICE.format(id="bp-keep", title="Keep") + CHOICE.format(id="bp-go", title="Go"))
    call_command("load_content", "--path", str(root))
    question.refresh_from_db()
    assert not question.is_retired


def test_topic_removed_from_files_is_retired(tmp_path, db):
    root = write_tree(tmp_path, CHOICE.format(id="bp-t", title="T"))
    load(root)
    assert Topic.objects.filter(is_retired=False).count() == 1
    assert Topic.objects.get(slug="latency").name == "Latency"


def test_loading_is_one_transaction(tmp_path, db, monkeypatch):
    """If writing fails half-way, nothing of the load remains."""
    root = write_tree(tmp_path, CHOICE.format(id="bp-a", title="A"),
                      {"quiz.yaml": "id: bp-quiz\ntitle: Q\nquestions: [bp-a]\n"})
    from quizsite.quizzes import loader

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader.QuizSection, "apply", explode)
    with pytest.raises(RuntimeError):
        load(root)
    assert not Question.objects.filter(slug="bp-a").exists()


def test_content_readme_documents_every_question_field():
    """content/README.md names every field the loader accepts, so authors need not read code."""
    from quizsite.questions.loader import META_KEYS, SPEC_KEYS

    readme = (Path(settings.BASE_DIR) / "content" / "README.md").read_text()
    for key in sorted(META_KEYS | SPEC_KEYS):
        assert f"`{key}`" in readme or f"{key}:" in readme, key

"""Answers stored before the source column existed are labelled by where they were given."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("quizzes", "0001_initial"), ("questions", "0003_gradeflag")]
AFTER = [("quizzes", "0004_backfill_quiz_answer_source"), ("questions", "0003_gradeflag")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_answers_given_in_a_quiz_before_the_source_column_become_quiz_answers():
    """An old answer with an attempt is a quiz answer; one without stays a question-page answer."""
    apps = migrate(BEFORE)
    Topic, Question = apps.get_model("questions", "Topic"), apps.get_model("questions", "Question")
    Quiz, Attempt = apps.get_model("quizzes", "Quiz"), apps.get_model("quizzes", "Attempt")
    Answer = apps.get_model("quizzes", "Answer")
    now = timezone.now()
    topic = Topic.objects.create(slug="t", name="T")
    question = Question.objects.create(slug="q", topic=topic, title="Q", prompt="?", type="numeric", spec={})
    quiz = Quiz.objects.create(slug="z", title="Z")
    attempt = Attempt.objects.create(quiz=quiz, session_key="s", started_at=now)
    row = dict(question=question, session_key="s", response="1", score=1.0, verdict="correct", grade={},
               created_at=now)
    in_quiz = Answer.objects.create(attempt=attempt, **row).pk
    on_page = Answer.objects.create(**row).pk
    try:
        apps = migrate(AFTER)
        Answer = apps.get_model("quizzes", "Answer")
        assert Answer.objects.get(pk=in_quiz).source == "quiz"
        assert Answer.objects.get(pk=on_page).source == "question"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

"""Answers stored before 0002 all got source "question"; those given in a quiz attempt were quiz answers.

Every answer with an attempt is a quiz answer (quizzes.services.answer_in_attempt stores them with source
"quiz"), so the backfill is exact and a no-op on answers stored since 0002. A flag on an older quiz answer
then names the right source for the authors.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Answer = apps.get_model("quizzes", "Answer")
    Answer.objects.filter(attempt__isnull=False).exclude(source="quiz").update(source="quiz")


class Migration(migrations.Migration):

    dependencies = [
        ("quizzes", "0003_answer_idempotency_key"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

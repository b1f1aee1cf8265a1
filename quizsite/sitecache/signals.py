"""Any write to the content's tables (the admin, `load_content`, a learner's own quiz) bumps the version.

Bulk writes (`QuerySet.update`, `bulk_create`) send no signal: `load_content` bumps once itself at the end.
"""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

CONTENT_MODELS = ("questions.Topic", "questions.Tag", "questions.Question", "quizzes.Quiz", "quizzes.QuizItem",
                  "labs.Lab", "labs.LabQuestion")


def on_content_change(sender, **kwargs) -> None:
    from quizsite.sitecache.models import bump_version

    if kwargs.get("raw"):  # loaddata of fixtures: the version table may not be there yet
        return
    bump_version()


def connect() -> None:
    for label in CONTENT_MODELS:
        model = apps.get_model(label)
        post_save.connect(on_content_change, sender=model, dispatch_uid=f"sitecache-save-{label}")
        post_delete.connect(on_content_change, sender=model, dispatch_uid=f"sitecache-delete-{label}")
    tags = apps.get_model("questions.Question").tags.through
    m2m_changed.connect(on_content_change, sender=tags, dispatch_uid="sitecache-question-tags")

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
    if is_learners_own_quiz(sender, kwargs.get("instance")):
        return
    bump_version()


def is_learners_own_quiz(sender, instance) -> bool:
    """A quiz a learner builds (and its items) is no kept page's content: its page is never kept, and a class
    building quizzes must not throw every kept page away each time."""
    label = sender._meta.label
    if label == "quizzes.Quiz":
        return not instance.is_curated
    if label == "quizzes.QuizItem":
        quiz = type(instance).quiz.field.related_model.objects.filter(pk=instance.quiz_id).first()
        return quiz is not None and not quiz.is_curated  # gone already: count it as a change
    return False


def connect() -> None:
    for label in CONTENT_MODELS:
        model = apps.get_model(label)
        post_save.connect(on_content_change, sender=model, dispatch_uid=f"sitecache-save-{label}")
        post_delete.connect(on_content_change, sender=model, dispatch_uid=f"sitecache-delete-{label}")
    tags = apps.get_model("questions.Question").tags.through
    m2m_changed.connect(on_content_change, sender=tags, dispatch_uid="sitecache-question-tags")

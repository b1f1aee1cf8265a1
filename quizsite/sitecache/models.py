"""One row: the content's version, one more each time a question, topic, quiz or lab changes."""

from django.db import IntegrityError, models, transaction
from django.db.models import F

SINGLETON = 1


class ContentVersion(models.Model):
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "content version"

    def __str__(self) -> str:
        return f"content version {self.version}"


def current_version() -> int:
    """The content's version now (one indexed read; every process and host sees the same)."""
    return ContentVersion.objects.filter(pk=SINGLETON).values_list("version", flat=True).first() or 0


def bump_version() -> None:
    """A new version: every response cached under the old one is stale from now on (in this transaction)."""
    if ContentVersion.objects.filter(pk=SINGLETON).update(version=F("version") + 1):
        return
    try:
        with transaction.atomic():
            ContentVersion.objects.create(pk=SINGLETON, version=1)
    except IntegrityError:  # made meanwhile by another process
        ContentVersion.objects.filter(pk=SINGLETON).update(version=F("version") + 1)

from django.conf import settings
from django.db import models


class LessonRead(models.Model):
    """A learner finished reading a lesson (the path's first step); everything else on the path is
    derived from records the study apps already keep."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lessons_read")
    lesson = models.SlugField(max_length=100)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_read_per_lesson")]

    def __str__(self) -> str:
        return f"{self.user} read {self.lesson}"

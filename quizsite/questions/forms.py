from django import forms
from django.core.exceptions import ValidationError

from quizsite.questions.models import Topic

MAX_DB_INT = 2**63 - 1


class TopicsField(forms.ModelMultipleChoiceField):
    """Live topics by id. An id beyond a database integer is refused like any unknown id (SQLite raises
    OverflowError on it, which would be a 500)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Topic.objects.filter(is_retired=False), **kwargs)

    def clean(self, value):
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue
            if abs(number) > MAX_DB_INT:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)


class FlagForm(forms.Form):
    """ "I think this grade is wrong": which graded answer (its reference), and an optional comment."""

    ref = forms.CharField(max_length=64)
    comment = forms.CharField(required=False, max_length=1000, widget=forms.Textarea)
    next = forms.CharField(required=False, max_length=500)

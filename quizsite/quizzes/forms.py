from django import forms

from quizsite.questions.forms import TopicsField
from quizsite.questions.models import Question
from quizsite.quizzes.models import Mode
from quizsite.quizzes.services import MAX_BUILT_QUESTIONS


class StartForm(forms.Form):
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.PRACTICE, widget=forms.RadioSelect)
    time_limit_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=240, label="Time limit (minutes, exam mode only)",
        help_text="Leave empty for no timer. The server stops accepting answers when time is up.",
    )

    def time_limit_s(self) -> int | None:
        minutes = self.cleaned_data.get("time_limit_minutes")
        return minutes * 60 if minutes else None


class BuildForm(StartForm):
    topics = TopicsField(
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None chosen means every topic.",
    )
    difficulty = forms.TypedChoiceField(
        choices=[("", "Any")] + list(Question.Difficulty.choices), required=False, coerce=int, empty_value=None,
    )
    count = forms.IntegerField(min_value=1, max_value=MAX_BUILT_QUESTIONS, initial=10, label="Questions")

    field_order = ["topics", "difficulty", "count", "mode", "time_limit_minutes"]


def response_from_post(question: Question, data) -> object:
    """The learner's response as the grading engine expects it."""
    if question.type == Question.Type.MULTIPLE:
        return data.getlist("answer")
    return data.get("answer", "")

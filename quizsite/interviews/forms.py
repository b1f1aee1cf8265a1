from django import forms

from quizsite.interviews.models import DURATIONS, MAX_ANSWER_CHARS, MAX_NOTES_CHARS, MAX_QUESTIONS, Track
from quizsite.questions.forms import TopicsField


class StartForm(forms.Form):
    track = forms.ChoiceField(choices=Track.choices, initial=Track.LOAD_LATENCY, widget=forms.RadioSelect)
    topics = TopicsField(
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only for “Chosen topics”.",
    )
    duration_minutes = forms.TypedChoiceField(
        choices=[(d, f"{d} minutes") for d in DURATIONS], coerce=int, initial=30, label="Length",
    )
    question_count = forms.IntegerField(
        min_value=1, max_value=MAX_QUESTIONS, initial=3, label="Questions",
        help_text="The time is shared equally between the questions.",
    )
    with_interviewer = forms.TypedChoiceField(
        choices=[("", "Alone"), ("1", "With an interviewer (a private link for them)")],
        coerce=bool, empty_value=False, required=False, initial="", widget=forms.RadioSelect, label="Mode",
    )

    def clean(self):
        data = super().clean()
        if data.get("track") == Track.CUSTOM and not data.get("topics"):
            self.add_error("topics", "Choose at least one topic for a chosen-topics session.")
        return data


class AnswerForm(forms.Form):
    ANSWER, FOLLOW_UP = "answer", "follow-up"

    text = forms.CharField(required=False, strip=False, max_length=MAX_ANSWER_CHARS)
    position = forms.IntegerField(required=False, min_value=1, help_text="The question number shown.")
    part = forms.ChoiceField(required=False, choices=[(ANSWER, "The answer"), (FOLLOW_UP, "The follow-up")],
                             help_text="Which text this is: the question's answer (default) or its follow-up's.")

    def position0(self) -> int | None:
        number = self.cleaned_data.get("position")
        return number - 1 if number else None


class TicksForm(forms.Form):
    position = forms.IntegerField(min_value=1)
    concept = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, concept_ids: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concept"].choices = [(cid, cid) for cid in concept_ids or []]


class NotesForm(forms.Form):
    position = forms.IntegerField(min_value=1)
    notes = forms.CharField(required=False, strip=False, max_length=MAX_NOTES_CHARS, widget=forms.Textarea)


class OverrideForm(forms.Form):
    position = forms.IntegerField(min_value=1)
    score = forms.IntegerField(min_value=0, max_value=100, required=False, label="Your score (%)")
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             label="Reason")
    clear = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("clear"):
            return data
        if data.get("score") is None:
            self.add_error("score", "Give a score from 0 to 100, or clear the override.")
        if not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why you override the automatic score.")
        return data

    def override(self) -> float | None:
        if self.cleaned_data.get("clear"):
            return None
        return self.cleaned_data["score"] / 100

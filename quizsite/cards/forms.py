import zoneinfo

from django import forms

from quizsite.cards.models import DEFAULT_DECK_NAME, CardPreferences
from quizsite.cards.services import MAX_BACK, MAX_FRONT

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices, help_text="Your days start at midnight here.")

    class Meta:
        model = CardPreferences
        fields = ["desired_retention", "new_per_day", "time_zone"]
        labels = {"desired_retention": "Desired retention", "new_per_day": "New cards per day"}
        widgets = {"desired_retention": forms.NumberInput(attrs={"step": "0.01", "min": "0.7", "max": "0.99"})}


class RateForm(forms.Form):
    card = forms.CharField(max_length=120)
    rating = forms.TypedChoiceField(choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")], coerce=int)
    version = forms.IntegerField(min_value=0)
    duration_ms = forms.IntegerField(min_value=0, max_value=24 * 3600 * 1000, required=False)


class PersonalCardForm(forms.Form):
    front = forms.CharField(max_length=MAX_FRONT, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="Markdown. The question or cue.")
    back = forms.CharField(max_length=MAX_BACK, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Markdown. The answer.")
    tags = forms.CharField(max_length=900, required=False, help_text="Separated by spaces, e.g. latency p99.")
    deck = forms.CharField(max_length=100, initial=DEFAULT_DECK_NAME, label="Deck")


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, one card a row: front, back, tags (optional).")
    deck = forms.CharField(max_length=100, initial=DEFAULT_DECK_NAME, label="Into deck")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB; split it into smaller files.")
        return upload

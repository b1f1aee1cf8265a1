from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from quizsite.lib.confusables import confusable_problem


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only used to reset your password.")

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_username(self):
        """Django's checks (NFKC-normalised, letters, digits and @.+-_, unique ignoring case), then no name
        that mixes alphabets or looks like an existing one (quizsite.lib.confusables)."""
        username = super().clean_username()
        if username is None:  # taken (Django added the error)
            return username
        others = User.objects.values_list("username", flat=True).iterator()
        problem = confusable_problem(username, others)
        if problem:
            raise forms.ValidationError(problem, code="confusable")
        return username

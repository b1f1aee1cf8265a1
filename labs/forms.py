"""The run form: only the knobs a lab lets the learner change, with the lab's bounds."""

from __future__ import annotations

from typing import Any

from django import forms

from labs.params import API_LABELS, LOAD_LABELS, Caps, Knob, RunSpec

HELP = {
    "users": "Simulated users, each running the scenario's tasks in a loop.",
    "spawn_rate": "Users started per second until all are running.",
    "duration_s": "How long the load runs.",
    "workers": "Locust processes; more than 1 runs Locust distributed (--processes).",
}


def _field(knob: Knob, label: str, help_text: str, cap: float | None) -> forms.Field:
    if knob.choices:
        choices = [(str(c).lower() if isinstance(c, bool) else str(c), _choice_label(c)) for c in knob.choices]
        initial = str(knob.default).lower() if isinstance(knob.default, bool) else str(knob.default)
        return forms.ChoiceField(label=label, choices=choices, initial=initial, help_text=help_text)
    high = knob.maximum if cap is None else min(knob.maximum, cap)
    attrs = {"min": _plain(knob.minimum), "max": _plain(high)}
    if knob.kind is int:
        return forms.IntegerField(label=label, min_value=int(knob.minimum), max_value=int(high), initial=knob.default,
                                  help_text=help_text, widget=forms.NumberInput(attrs=attrs))
    return forms.FloatField(label=label, min_value=knob.minimum, max_value=high, initial=_plain(knob.default),
                            help_text=help_text, widget=forms.NumberInput(attrs={**attrs, "step": "any"}))


def _choice_label(value: Any) -> str:
    if isinstance(value, bool):
        return "On" if value else "Off"
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class RunForm(forms.Form):
    """Fields named after the request: users, spawn_rate, duration_s, workers, api__<knob>."""

    def __init__(self, spec: RunSpec, caps: Caps, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for name, knob in spec.load.items():
            if knob.adjustable:
                bounds = f" ({_plain(knob.minimum)}–{_plain(min(knob.maximum, caps.for_load(name)))})" \
                    if knob.minimum is not None else ""
                self.fields[name] = _field(knob, LOAD_LABELS[name] + bounds, HELP[name], caps.for_load(name))
        for knob in spec.adjustable_api():
            cap = caps.api_workers if knob.name == "workers" else None
            bounds = f" ({_plain(knob.minimum)}–{_plain(knob.maximum)})" if knob.minimum is not None else ""
            self.fields[f"api__{knob.name}"] = _field(knob, API_LABELS[knob.name] + bounds, "", cap)

    @property
    def load_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith("api__")]

    @property
    def api_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("api__")]

    def request_data(self) -> dict[str, Any]:
        """The cleaned values as an API request body."""
        data: dict[str, Any] = {"api": {}}
        for name, value in self.cleaned_data.items():
            if name.startswith("api__"):
                data["api"][name[5:]] = value
            else:
                data[name] = value
        return data

    def add_request_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            name = "api__" + key[4:] if key.startswith("api.") else key
            self.add_error(name if name in self.fields else None, f"{key}: {message}" if name not in self.fields
                           else message)

"""Run requests are held inside the lab's bounds and the site's caps; nobody chooses the target."""

import pytest

from labs.params import Caps, Knob, Preset, RunSpec, api_argv, parse_knob, validate_request

SPEC = RunSpec(
    load={
        "users": Knob("users", int, 10, 1, 50),
        "spawn_rate": Knob("spawn_rate", float, 5.0, 1, 20),
        "duration_s": Knob("duration_s", int, 20, 5, 60),
        "workers": Knob("workers", int, 1),
    },
    api={
        "cpu_ms": Knob("cpu_ms", float, 5.0, 0, 50),
        "cache": Knob("cache", bool, False, choices=(False, True)),
        "delay_median_ms": Knob("delay_median_ms", float, 40.0),
        "delay_p99_ms": Knob("delay_p99_ms", float, 200.0, 40, 1000),
    },
    presets=(Preset("heavy", "Heavy", "", {"users": 40, "api": {"cpu_ms": 20}}),),
)
CAPS = Caps(users=30, spawn_rate=50, duration_s=120, workers=4, api_workers=4)


def test_defaults_give_a_complete_config():
    """An empty request runs the lab's defaults, with every model API knob spelled out."""
    checked = validate_request(SPEC, {}, CAPS)
    assert checked.ok, checked.errors
    assert checked.config["users"] == 10 and checked.config["duration_s"] == 20 and checked.config["workers"] == 1
    assert checked.config["api"]["cpu_ms"] == 5.0
    assert checked.config["api"]["delay_p99_ms"] == 200.0
    assert checked.config["api"]["workers"] == 1  # not declared: the model API's default, fixed


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"users": 0}, "users", "between 1 and 50"),
        ({"users": 31}, "users", "at most 30, the limit on this site"),
        ({"duration_s": 61}, "duration_s", "between 5 and 60"),
        ({"duration_s": "ten"}, "duration_s", "must be a number"),
        ({"users": 2.5}, "users", "whole number"),
        ({"users": True}, "users", "must be a number"),
        ({"workers": 2}, "workers", "fixes it at 1"),
        ({"api": {"cpu_ms": 51}}, "api.cpu_ms", "between 0 and 50"),
        ({"api": {"io_ms": 10}}, "api.io_ms", "fixes it at 0"),
        ({"api": {"cache": "maybe"}}, "api.cache", "true or false"),
        ({"api": {"delay_median_ms": 10}}, "api.delay_median_ms", "fixes it at 40"),
        ({"api": {"nonsense": 1}}, "api.nonsense", "unknown model API knob"),
        ({"api": [1, 2]}, "api", "must be an object"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"preset": "nope"}, "preset", "unknown preset"),
    ],
)
def test_out_of_bounds_values_name_their_field(body, field, message):
    """Every refused value comes back under the name of the field it was sent in."""
    checked = validate_request(SPEC, body, CAPS)
    assert field in checked.errors, checked.errors
    assert message in checked.errors[field]


@pytest.mark.parametrize("key", ["host", "target", "url", "HOST", "base_url", "port"])
def test_choosing_the_target_is_refused_everywhere(key):
    """A run always targets its own model API: any field naming a target is refused, at the top or in api."""
    top = validate_request(SPEC, {key: "http://example.com"}, CAPS)
    nested = validate_request(SPEC, {"api": {key: "http://example.com"}}, CAPS)
    assert "cannot be chosen" in top.errors[key]
    assert "cannot be chosen" in nested.errors[f"api.{key}"]


def test_all_errors_are_reported_at_once():
    """Three bad fields give three errors, not the first one only."""
    checked = validate_request(SPEC, {"users": 0, "duration_s": 1000, "api": {"cpu_ms": -1}}, CAPS)
    assert set(checked.errors) == {"users", "duration_s", "api.cpu_ms"}


def test_preset_values_apply_and_can_be_overridden():
    """A preset fills in its values; fields sent beside it win."""
    checked = validate_request(SPEC, {"preset": "heavy", "users": 12}, CAPS)
    assert checked.ok, checked.errors
    assert (checked.config["users"], checked.config["api"]["cpu_ms"], checked.config["preset"]) == (12, 20, "heavy")


def test_a_preset_beyond_the_site_cap_is_refused():
    """The site's caps hold even for a preset: 40 users against a cap of 30."""
    assert "users" in validate_request(SPEC, {"preset": "heavy"}, CAPS).errors


def test_delay_p99_below_the_median_is_refused():
    """The model API would refuse to start with P99 below the median, so the request is refused first."""
    spec = RunSpec(SPEC.load, {**SPEC.api, "delay_median_ms": Knob("delay_median_ms", float, 40.0, 0, 100)})
    checked = validate_request(spec, {"api": {"delay_median_ms": 100, "delay_p99_ms": 50}}, CAPS)
    assert "at least the median" in checked.errors["api.delay_p99_ms"]


def test_yes_no_knobs_accept_form_values():
    """Form posts send "true"/"false"; they are read as booleans."""
    checked = validate_request(SPEC, {"api": {"cache": "true"}}, CAPS)
    assert checked.ok and checked.config["api"]["cache"] is True


def test_api_argv_spells_out_flags():
    """Knobs become the model API's own flags; booleans use --x / --no-x; unset values are left out."""
    argv = api_argv({"cpu_ms": 5.0, "cache": True, "blocking": False, "delay_p99_ms": None, "workers": 2})
    assert argv == ["--cpu-ms", "5", "--cache", "--no-blocking", "--workers", "2"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"default": 5, "min": 1}, "needs both min and max"),
        ({"default": 100, "min": 1, "max": 50}, "must lie between"),
        ({"default": 1, "min": 1, "max": 5, "choices": [1]}, "either min/max or choices"),
        ({"min": 1, "max": 5}, "is required"),
        ({"default": 1, "step": 2, "min": 0, "max": 3}, "unknown field"),
    ],
)
def test_content_knob_declarations_are_checked(raw, problem):
    """Instructors get a message per bad knob declaration."""
    errors: list[tuple[str, str]] = []
    assert parse_knob("users", int, raw, "load.users", errors) is None
    assert any(problem in message for _, message in errors), errors

"""The model API's knobs: flags, MODEL_API_* variables, validation and exit status 2."""

from __future__ import annotations

import subprocess

import pytest
from model_api_helpers import PYTHON, ROOT

from labs.model_api.config import Config, ConfigError


def test_defaults_serve_the_tutorial_port_with_every_knob_off():
    """With no flags and no environment, the API listens on 127.0.0.1:8001 with no knob active."""
    config = Config.from_args([], env={})
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 8001, 1)
    assert config.delay_median_ms == config.cpu_ms == config.io_ms == config.error_rate == 0
    assert not config.blocking and not config.cache and config.max_concurrency == 0


def test_environment_sets_knobs_and_flags_win():
    """MODEL_API_* variables set knobs; a flag given on the command line overrides its variable."""
    env = {
        "MODEL_API_CPU_MS": "20",
        "MODEL_API_IO_MS": "5",
        "MODEL_API_CACHE": "yes",
        "MODEL_API_WORKERS": "2",
    }
    config = Config.from_args(["--cpu-ms", "7.5", "--no-cache"], env=env)
    assert config.cpu_ms == 7.5
    assert config.io_ms == 5.0
    assert config.cache is False
    assert config.workers == 2


def test_boolean_variables_accept_common_spellings():
    """1/true/yes/on and 0/false/no/off are understood, in any case."""
    for raw, expected in [
        ("1", True),
        ("TRUE", True),
        ("on", True),
        ("0", False),
        ("No", False),
        ("", False),
    ]:
        assert Config.from_env({"MODEL_API_BLOCKING": raw}).blocking is expected


def test_every_invalid_knob_is_reported_at_once():
    """Negative values, P99 below the median and a rate outside [0, 1] are all named in one error."""
    with pytest.raises(ConfigError) as caught:
        Config.from_args(
            ["--cpu-ms", "-1", "--io-ms", "-2", "--delay-median-ms", "50", "--delay-p99-ms", "10",
             "--error-rate", "1.5", "--workers", "0", "--max-concurrency", "-3"],
            env={},
        )  # fmt: skip
    text = str(caught.value)
    for flag in ("--cpu-ms", "--io-ms", "--delay-p99-ms", "--error-rate", "--workers", "--max-concurrency"):
        assert flag in text
    assert len(caught.value.messages) == 6


def test_p99_without_a_median_is_refused():
    """A P99 alone does not define a distribution."""
    with pytest.raises(ConfigError, match="--delay-p99-ms needs --delay-median-ms"):
        Config.from_args(["--delay-p99-ms", "100"], env={})


def test_median_alone_means_a_constant_delay():
    """Without --delay-p99-ms the delay's P99 equals its median."""
    config = Config.from_args(["--delay-median-ms", "30"], env={})
    assert config.effective_delay_p99_ms == 30
    assert config.to_dict()["delay_p99_ms"] == 30


def test_malformed_variables_are_reported_with_their_names():
    """A variable that is not a number (or not a boolean) is named in the error."""
    with pytest.raises(ConfigError) as caught:
        Config.from_env(
            {"MODEL_API_CPU_MS": "lots", "MODEL_API_CACHE": "maybe", "MODEL_API_ERROR_RATE": "nan"}
        )
    text = str(caught.value)
    assert "MODEL_API_CPU_MS" in text and "MODEL_API_CACHE" in text


def test_nan_and_infinity_are_refused():
    """Non-finite numbers are invalid knob values."""
    with pytest.raises(ConfigError, match="finite"):
        Config.from_args(["--io-ms", "inf"], env={})


def test_workers_rebuild_the_exact_config_from_the_environment():
    """to_env() then from_env() is the identity: every worker runs the parent's config."""
    config = Config.from_args(
        ["--workers", "2", "--delay-median-ms", "40", "--delay-p99-ms", "200", "--cpu-ms", "0.1",
         "--io-ms", "12.5", "--blocking", "--error-rate", "0.2", "--seed", "7", "--cache",
         "--cache-size", "5", "--max-concurrency", "3", "--log-level", "info"],
        env={},
    )  # fmt: skip
    assert Config.from_env(config.to_env()) == config


def test_startup_line_states_every_knob():
    """describe() is one line naming the effective value of each knob."""
    line = Config.from_args(
        ["--delay-median-ms", "40", "--delay-p99-ms", "200", "--cache"], env={}
    ).describe()
    assert "\n" not in line
    for part in ("workers=1", "median=40ms", "p99=200ms", "cpu_ms=0", "io_ms=0", "blocking=off",
                 "error_rate=0", "seed=0", "cache=on", "max_concurrency=unlimited"):  # fmt: skip
        assert part in line


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--error-rate", "1.5"], {}, "--error-rate must be in [0, 1]"),
        (["--cpu-ms", "-5"], {}, "--cpu-ms must be >= 0"),
        (["--delay-median-ms", "100", "--delay-p99-ms", "50"], {}, "--delay-p99-ms (50) must be >="),
        ([], {"MODEL_API_CPU_MS": "-1"}, "--cpu-ms must be >= 0"),
        ([], {"MODEL_API_IO_MS": "soon"}, "MODEL_API_IO_MS"),
        (["--workers", "two"], {}, "invalid int value"),
    ],
)
def test_invalid_knobs_exit_with_status_2(args, env, expected):
    """`python -m labs.model_api` with a bad knob prints the problem and exits 2 without serving."""
    result = subprocess.run(
        [PYTHON, "-m", "labs.model_api", "--port", "1", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert result.stdout == ""

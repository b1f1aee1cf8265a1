"""Fixtures for the model API tests: real servers started with given flags, stopped at teardown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from model_api_helpers import ModelApi, start_model_api


@pytest.fixture
def model_api(tmp_path: Path) -> Iterator[Callable[..., ModelApi]]:
    """Start model APIs with given flags: `api = model_api("--cpu-ms", "20")`; all stopped at teardown."""
    started: list[ModelApi] = []

    def start(*flags: str, env: dict[str, str] | None = None) -> ModelApi:
        api = start_model_api(*flags, tmp_dir=tmp_path, env=env)
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


@pytest.fixture(scope="module")
def plain_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelApi]:
    """One model API with no knobs, shared by a test module."""
    api = start_model_api(tmp_dir=tmp_path_factory.mktemp("plain_api"))
    yield api
    api.stop()


@pytest.fixture(autouse=True)
def quiet_httpx() -> Iterator[None]:
    """httpx logs every request at INFO; thousands of captured records would slow the tests down."""
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)

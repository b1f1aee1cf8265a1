"""Reading the content files in the bank tests, without a database."""

from pathlib import Path

import yaml

CONTENT = Path(__file__).resolve().parents[2] / "content"


def load_yaml(folder: str, name: str) -> dict:
    return yaml.safe_load((CONTENT / folder / f"{name}.yaml").read_text(encoding="utf-8"))

"""Reading the content files in the bank tests, without a database."""

from pathlib import Path

import yaml

CONTENT = Path(__file__).resolve().parents[2] / "content"


def load_yaml(folder: str, name: str) -> dict:
    return yaml.safe_load((CONTENT / folder / f"{name}.yaml").read_text(encoding="utf-8"))


def readings(concept: dict) -> int:
    """How many ways of saying a rubric concept its claims accept: each claim counts its readings (the
    product of its alternatives), so "(hides|masks) (the)? tail" is 4."""
    from quizsite.questions.grading.matcher import parse_claim

    total = 0
    for claim in concept["claims"]:
        count = 1
        for alternatives, optional, _ in parse_claim(claim):
            count *= len(alternatives) + optional
        total += count
    return total

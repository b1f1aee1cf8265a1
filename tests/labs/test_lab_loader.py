"""Lab content files: validated field by field with every error at once, then upserted and retired."""

import textwrap
from pathlib import Path

import pytest

from labs.models import Lab
from quizsite.questions.content import ContentErrors, load

TOPICS = "topics:\n  - id: latency\n    name: Latency\n"
QUESTIONS = textwrap.dedent("""\
    questions:
      - id: lab-q
        topic: latency
        type: calculated
        title: Slower requests
        prompt: Your run made {{ requests }} requests.
        explanation: One percent.
        variables:
          requests: {from_run: requests, sample: 400}
        formula: requests * 0.01
      - id: lab-q-unknown
        topic: latency
        type: calculated
        title: A measurement no run records
        prompt: "{{ x }}"
        explanation: x
        variables:
          x: {from_run: p98_ms, sample: 1}
        formula: x
""")
GOOD_LAB = textwrap.dedent("""\
    id: tiny
    title: A tiny lab
    summary: One step.
    scenario: predict.py
    load:
      users: {default: 5, min: 1, max: 10}
      duration_s: {default: 5, min: 2, max: 10}
    api:
      cpu_ms: {default: 1, min: 0, max: 5}
    env:
      STEP_USERS: ceil(users / 2)
    presets:
      - id: two
        label: Two users
        users: 2
    steps:
      - title: Run it
        body: Start the run.
    questions: [lab-q]
""")


def tree(tmp_path: Path, labs: dict[str, str]) -> Path:
    root = tmp_path / "content"
    (root / "questions").mkdir(parents=True)
    (root / "labs").mkdir()
    (root / "topics.yaml").write_text(TOPICS)
    (root / "questions" / "q.yaml").write_text(QUESTIONS)
    for name, text in labs.items():
        (root / "labs" / name).write_text(text)
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load(root, check=True)
    return [str(e) for e in caught.value.errors]


def test_every_problem_of_a_lab_file_is_reported_with_file_and_field(tmp_path, db):
    bad = textwrap.dedent("""\
        id: Bad Lab
        title: ""
        summary: x
        scenario: ../../etc/passwd
        colour: red
        load:
          users: {default: 500, min: 1, max: 500}
          duration_s: {default: 5, min: 1, max: 10}
          threads: 4
        api:
          cpu_ms: {default: 9, min: 0, max: 5}
          host: 127.0.0.1
        env:
          BP_TELEMETRY_FD: 1
          RATE: users + nonsense
        presets:
          - id: fast
            label: Fast
            users: 50
        steps: []
        questions: [no-such-question, lab-q-unknown]
    """)
    errors = errors_of(tree(tmp_path, {"bad.yaml": bad}))
    text = "\n".join(errors)
    for expected in [
        "content/labs/bad.yaml: id: must be a slug",
        "content/labs/bad.yaml: title: must be non-empty text",
        "content/labs/bad.yaml: colour: unknown field",
        "content/labs/bad.yaml: scenario: must be the file name of a locustfile",
        "content/labs/bad.yaml: steps: must be a non-empty list",
        "content/labs/bad.yaml: questions[0]: no question with id 'no-such-question'",
        "questions[1]: question 'lab-q-unknown': variables.x.from_run 'p98_ms' is not a measurement",
        "load.threads: unknown load knob",
        "load.users: goes up to 500, above this site's limit of 200",
        "load.duration_s: must be at least 2",
        "api.cpu_ms: default 9 must lie between min 0 and max 5",
        "api.host: unknown model API knob",
        "env.BP_TELEMETRY_FD: BP_TELEMETRY_FD is reserved",
        "env.RATE: unknown name(s) nonsense",
    ]:
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert not Lab.objects.filter(slug="tiny").exists()


def test_a_preset_outside_the_labs_bounds_is_an_error(tmp_path, db):
    lab = GOOD_LAB.replace("users: 2", "users: 50")
    errors = errors_of(tree(tmp_path, {"tiny.yaml": lab}))
    assert any("presets[0] (two).users: must be between 1 and 10" in e for e in errors), errors


def test_labs_are_upserted_by_id_and_retired_when_removed(tmp_path, db):
    root = tree(tmp_path, {"tiny.yaml": GOOD_LAB})
    report = load(root)
    assert str(report.counts["labs"]).startswith("1 created")
    lab = Lab.objects.get(slug="tiny")
    assert [q.slug for q in lab.checkpoint_questions()] == ["lab-q"]
    assert lab.spec().env == {"STEP_USERS": "ceil(users / 2)"} and lab.spec().preset("two").values == {"users": 2}
    assert str(load(root).counts["labs"]).startswith("0 created, 0 updated, 1 unchanged")
    (root / "labs" / "tiny.yaml").write_text(GOOD_LAB.replace("A tiny lab", "A small lab"))
    assert "1 updated" in str(load(root).counts["labs"])
    (root / "labs" / "tiny.yaml").unlink()
    assert "1 retired" in str(load(root).counts["labs"])
    assert Lab.objects.get(slug="tiny").is_retired


def test_the_shipped_labs_are_valid_and_each_has_three_questions(db):
    """The content tree's labs load; each has steps, presets and at least three checkpoint questions."""
    labs = list(Lab.objects.live())
    assert len(labs) >= 6
    for lab in labs:
        assert len(lab.steps) >= 3 and lab.spec().presets, lab.slug
        assert len(lab.checkpoint_questions()) >= 3, lab.slug

"""Every rubric question against the adversarial corpus (tests/grading/corpus/), written blind to the rubrics.

For every rubric question, parametrised by its id (so `pytest tests/grading/test_rubric_corpus.py -k <id>`
checks one question):
- strong answers (terse, long, bullets) score >= 0.7 and read "Correct" or "Mostly right";
- partial answers score strictly between 0.3 and 0.7 (they are right as far as they go, and cover about
  half of what is asked, so they land between a fail and a pass);
- fluent-but-wrong answers (inverted, swapped, wrong formula) score <= 0.3;
- the keyword salad and the question's own prompt pasted back score < 0.3;
- no other question's model answer scores >= 0.5 on the rubric (cross-grading over all pairs).
Failures are reported all at once per question, with the answer, its score and the grader's feedback.
"""

import pytest

from quizsite.questions.corpus import (
    CROSS_MAX,
    Answer,
    cross_grade,
    grade_answer,
    load_corpus,
    rubric_specs,
)

SPECS = rubric_specs()
CORPUS = load_corpus()
SLUGS = sorted(SPECS)


def _check(slug: str, kinds: tuple[str, ...]) -> None:
    answers = [a for a in CORPUS.get(slug, []) if a.kind in kinds]
    assert answers, f"{slug}: no {'/'.join(kinds)} answers in tests/grading/corpus/"
    failures = []
    for answer in answers:
        graded = grade_answer(SPECS[slug], answer)
        if not graded.ok:
            failures.append(
                f"[{answer.kind} {answer.style}] {graded.score:.2f} {graded.label}: {answer.text[:300]!r}\n    "
                + "\n    ".join(graded.feedback)
            )
    summary = f"{slug}: {len(failures)} of {len(answers)} answers off their bar:\n"
    assert not failures, summary + "\n".join(failures)


@pytest.mark.parametrize("slug", SLUGS)
def test_strong_answers_pass(slug):
    """Every strong answer scores >= 0.7 and reads Correct or Mostly right."""
    _check(slug, ("strong",))


@pytest.mark.parametrize("slug", SLUGS)
def test_partial_answers_land_between(slug):
    """Every partial answer scores strictly between 0.3 and 0.7."""
    _check(slug, ("partial",))


@pytest.mark.parametrize("slug", SLUGS)
def test_fluent_wrong_answers_fail(slug):
    """Every fluent-but-wrong answer (inverted, swapped, wrong formula) scores <= 0.3."""
    _check(slug, ("wrong",))


@pytest.mark.parametrize("slug", SLUGS)
def test_keyword_salad_earns_nothing(slug):
    """The keyword salad scores < 0.3."""
    _check(slug, ("salad",))


@pytest.mark.parametrize("slug", SLUGS)
def test_prompt_pasted_back_fails(slug):
    """The question's own prompt, pasted back as the answer, scores < 0.3."""
    graded = grade_answer(SPECS[slug], Answer(slug, "echo", "", SPECS[slug]["prompt"]))
    assert graded.ok, (graded.score, graded.feedback)


@pytest.mark.parametrize("slug", SLUGS)
def test_no_other_model_answer_passes(slug):
    """No other question's model answer scores >= 0.5 on this rubric."""
    best, source = cross_grade(slug, SPECS)
    assert best < CROSS_MAX, f"{source}'s model answer scores {best:.2f} on {slug}"


def test_every_rubric_question_has_its_corpus_entry():
    """Every rubric question is in the corpus, and every corpus entry is a rubric question."""
    assert sorted(set(SLUGS) - set(CORPUS)) == []
    assert sorted(set(CORPUS) - set(SLUGS)) == []

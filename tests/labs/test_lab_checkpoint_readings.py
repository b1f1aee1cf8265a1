"""Checkpoints agree with the page: a question whose answer the learner reads off the run page is graded
against the figure the page shows (the diagnosis of the real analysis), defined in its prompt, with a
tolerance a careful reader of a jagged chart meets; a wrong reading is not graded right.

The run is the issue's example: a step load whose saturated seconds sit between 43 and 67 req/s. The busiest
quarter of its seconds (the old expected value) averages about 65 req/s; a careful reader says about 55.
"""

import re

import pytest

from labs.models import Lab
from labs.services import NotAnswerable, question_variables
from quizsite.questions.models import Question

pytestmark = pytest.mark.django_db

JAGGED = (43.0, 67.0, 55.0, 49.0, 61.0)  # the saturated seconds: mean and median 55 req/s


def jagged_step_load() -> list[dict]:
    """8 steps of 6 users for 5 s; each user offers 4 req/s until the API tops out around 55 req/s."""
    rows, requests = [], 0
    for step in range(8):
        users = 6 * (step + 1)
        offered = 4.0 * users
        for second in range(5):
            i = step * 5 + second
            rps = offered * (0.95 if second % 2 else 1.05) if offered < 55 else JAGGED[(second + step) % 5]
            requests += round(rps)
            p99 = 40.0 if offered < 55 else 40.0 + (users - 14) * 8
            rows.append({"index": i, "t": float(i + 1), "users": users, "rps": rps, "failures_per_s": 0.0,
                         "p50_ms": p99 / 3, "p95_ms": p99 * 0.8, "p99_ms": p99, "requests": requests, "failures": 0,
                         "generator_cpu": 30.0, "api_cpu": min(99.0, rps * 1.8)})
    return rows


def gentle_step_load() -> list[dict]:
    """A run that never saturates: every step's RPS is 4 per user."""
    return [{**row, "rps": 4.0 * row["users"], "p99_ms": 40.0, "p95_ms": 32.0, "p50_ms": 13.0}
            for row in jagged_step_load()[:20]]


@pytest.fixture
def breaking(db) -> Lab:
    return Lab.objects.get(slug="breaking-point")


def _verdict(question: Question, variables: dict, answer: str) -> str:
    return str(question.grade(answer, variables).verdict)


def test_the_plateau_checkpoint_grades_a_careful_reading_of_a_jagged_chart_right(learner, make_run, breaking,
                                                                                 learner_client):
    run = make_run(learner, breaking, sample_list=jagged_step_load(), api={"cpu_ms": 16})
    question = Question.objects.get(slug="lab-break-plateau")
    variables = question_variables(run, question)
    assert variables["plateau_rps"] == 55.0 == run.diagnosis()["plateau_rps"]

    # The page shows that very figure, and defines it, before the learner answers.
    html = learner_client.get(run.get_absolute_url()).content.decode()
    assert re.search(r'data-diagnosis="plateau_rps">55 req/s<', html)
    assert "the median of the steady RPS of the 6 steps from 18 users on" in html
    assert "median of the steady RPS of the steps after throughput stopped rising with users" in html  # prompt
    assert html.index('id="what-happened"') < html.index('id="q-lab-break-plateau"')

    samples = [s["rps"] for s in run.samples_since() if s["users"] >= 18]
    middle_of_the_band = (min(samples) + max(samples)) / 2  # 43..67: a careful reader says 55
    assert _verdict(question, variables, f"{middle_of_the_band:g}") == "correct"
    assert _verdict(question, variables, "about 50 req/s") == "correct"  # read a little low, still within 15%
    busiest_quarter = sum(sorted(s["rps"] for s in run.samples_since())[-10:]) / 10  # the old expected value
    assert busiest_quarter > 64
    assert _verdict(question, variables, f"{busiest_quarter:g}") != "correct"  # the peaks are not the plateau
    assert _verdict(question, variables, "67") != "correct"
    assert _verdict(question, variables, "25.2") == "incorrect"  # the first step, before it saturated


def test_a_run_that_never_saturated_cannot_answer_the_plateau_and_says_why(learner, make_run, breaking):
    run = make_run(learner, breaking, sample_list=gentle_step_load(), users=24, duration_s=20)
    question = Question.objects.get(slug="lab-break-plateau")
    with pytest.raises(NotAnswerable, match=r"found no plateau \(throughput still rose with users"):
        question_variables(run, question)


def test_the_cpu_capacity_checkpoint_reads_the_prompt_numbers_and_needs_no_plateau(learner, make_run, breaking):
    """It asks for the CPU ceiling from the whole-run figures the tiles show; a run without a plateau can
    answer it."""
    for rows in (jagged_step_load(), gentle_step_load()):
        run = make_run(learner, breaking, sample_list=rows)
        run.results["api_cpu_percent"] = 80.0
        run.save(update_fields=["results"])
        question = Question.objects.get(slug="lab-break-cpu-capacity")
        variables = question_variables(run, question)
        ceiling = variables["rps"] * 100 / 80.0
        assert _verdict(question, variables, f"{ceiling:.1f} req/s") == "correct"
        assert _verdict(question, variables, f"{variables['rps']:.1f}") == "incorrect"  # the RPS, not the ceiling

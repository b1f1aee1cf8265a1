"""The "Serving an LLM" lab for real: the runner starts the model API and the streaming scenario, the run's
samples and results carry TTFT, ITL, tokens/s and goodput, and its checkpoint questions are answerable."""

import pytest
from django.utils import timezone

from labs import processes, runner, services
from labs.models import Lab, LabRun
from quizsite.questions.models import Question
from tests.labs.conftest import config

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def own_lock(settings, tmp_path):
    settings.LAB_LOCK_FILE = str(tmp_path / "labs.lock")


def test_the_llm_lab_runs_end_to_end_and_its_checkpoints_grade(learner):
    lab = Lab.objects.get(slug="serving-an-llm")
    run_config = config(lab)  # the lab's defaults, checked like a learner's request ...
    assert run_config["scenario"] == "llm_stream.py" and run_config["env"]["MAX_USERS"] == "24"
    # ... then shortened for a test: 2 then 4 users for 3 s each, on 2 slots, short answers
    run_config.update(users=4, duration_s=6)
    run_config["env"].update(MAX_USERS="4", STEP_USERS="2", STEP_SECONDS="3", SPAWN_RATE="10",
                             OUTPUT_TOKENS_MIN="8", OUTPUT_TOKENS_MAX="16", WAIT_MIN="0.05", WAIT_MAX="0.1")
    run_config["api"].update(llm_max_batch=2)
    run = LabRun.objects.create(lab=lab, user=learner, config=run_config, created_at=timezone.now())
    outcome = runner.execute(run.pk)
    run.refresh_from_db()
    assert outcome == "succeeded", (run.failure_reason, run.log_tail)
    results = run.results
    assert results["streams"] > 3 and results["failures"] == 0
    assert results["streams"] == results["requests"]
    assert results["ttft_p50_ms"] > 0 and results["itl_p50_ms"] > 0 and results["tokens_per_s"] > 0
    assert results["ttft_slo_ms"] == 500 and results["itl_slo_ms"] == 50
    assert 0 <= results["good_requests"] <= results["streams"]
    samples = run.samples_since()
    assert any(s["tokens_per_s"] for s in samples) and any(s["ttft_p99_ms"] for s in samples)
    assert results["plateau_tokens_per_s"] > 0
    assert not processes.marked_processes(run.process_marker)
    # the run diagnosis reads a streaming run as a batch that filled (or never did), never as CPU or I/O
    assert run.results["diagnosis"]["bottleneck"] not in ("cpu", "io", "blocking"), run.results["diagnosis"]
    # every checkpoint reads what the run measured; answering with the run's own figure is correct
    measured = run.measurements()
    for slug in ("lab-llm-tokens-plateau", "lab-llm-decode-ceiling", "lab-llm-goodput"):
        question = Question.objects.get(slug=slug)
        assert services.question_variables(run, question)
        answer = {"lab-llm-tokens-plateau": measured["plateau_tokens_per_s"],
                  "lab-llm-decode-ceiling": 2 / ((20 + 2 * 2) / 1000),
                  "lab-llm-goodput": measured["good_requests"] / measured["load_duration_s"]}[slug]
        grade, _ = services.answer_checkpoint(run, question, f"{answer:.4g}", learner, timezone.now())
        assert grade.is_correct, (slug, answer, grade.to_dict())

"""The issue-15 questions (LLM serving, overload control, the USL, GC pauses and CPU throttling, Kingman,
comparing runs, the load generator's limits, Locust beyond the basics, the database under load): every
numeric answer key recomputed by hand from the prompt's own numbers, every calculated formula re-implemented
independently (step by step, not by copying the formula), and every choice key as intended.

The files are read with yaml.safe_load and graded with the pure engine, so no database is needed.
"""

import math
import re
import statistics
import subprocess
import sys
from collections import Counter

import pytest
from bank_files import load_yaml

from quizsite.questions.grading import grade, sample_variables
from quizsite.questions.loader import spec_of

FILES = ("llm-serving", "overload", "usl", "pauses-throttling", "kingman", "comparing-runs", "load-generator",
         "locust-advanced", "database-load")
SEEDS = ("learner-1", "learner-2", 3, 4, "5", "learner-6")

QUESTIONS = {q["id"]: q for name in FILES for q in load_yaml("questions", name)["questions"]}


def slugs(*types: str) -> list[str]:
    return sorted(slug for slug, q in QUESTIONS.items() if q["type"] in types)


# ---------------------------------------------------------------------------------------------------------
# Numeric answers, recomputed from the numbers in each prompt.
def _aimd() -> float:
    limit = 20.0
    for window in ["good"] * 5 + ["bad"] + ["good"] * 3:
        limit = limit + 1 if window == "good" else limit * 0.8
    return limit


def _max_min_fair(capacity: float, demands: dict[str, float]) -> dict[str, float]:
    """Water-filling: satisfy the smallest demands first, split what is left equally among the rest."""
    shares, left, waiting = {}, capacity, dict(demands)
    while waiting:
        equal = left / len(waiting)
        small = {k: d for k, d in waiting.items() if d <= equal}
        if not small:
            shares.update({k: equal for k in waiting})
            break
        for k, d in small.items():
            shares[k] = d
            left -= d
            del waiting[k]
    return shares


def _kingman_budget() -> float:
    """The highest utilisation with Wq <= ts for ca2 = 1, cs2 = 2, found by bisection on the formula."""
    low, high = 0.0, 0.99
    for _ in range(60):
        rho = (low + high) / 2
        if rho / (1 - rho) * (1 + 2) / 2 <= 1:
            low = rho
        else:
            high = rho
    return low * 100


RECOMPUTE = {
    # TTFT 0.6 s plus 499 more tokens at 30 ms.
    "llm-end-to-end-time": lambda: 0.6 + (500 - 1) * 0.030,
    # 8e9 parameters x 2 bytes read once per token at 2,000 GB/s, in ms.
    "llm-decode-bandwidth-floor": lambda: 8e9 * 2 / 2000e9 * 1000,
    # 960 requests met both SLOs over 120 s.
    "llm-goodput": lambda: 960 / 120,
    # The 50 tokens in the bucket plus 20 a second for 60 s.
    "token-bucket-window-maximum": lambda: 50 + sum(20 for _second in range(60)),
    "aimd-concurrency-limit": _aimd,
    "max-min-fair-share": lambda: _max_min_fair(1000, {"A": 800, "B": 150, "C": 300})["A"],
    "kingman-utilisation-budget": _kingman_budget,
    # (195 - mean) / sample standard deviation of the five baseline P99s.
    "regression-z-score": lambda: (195 - statistics.mean([180, 188, 176, 192, 184]))
    / statistics.stdev([180, 188, 176, 192, 184]),
    # TCP 1 RTT + TLS 1.2 2 RTTs + the request's own RTT, at 30 ms.
    "tls-handshake-round-trips": lambda: (1 + 2 + 1) * 30,
}


def test_every_numeric_question_has_a_recomputation():
    assert sorted(set(slugs("numeric")) ^ set(RECOMPUTE)) == []


@pytest.mark.parametrize("slug", sorted(RECOMPUTE))
def test_numeric_answer_key_matches_the_prompt(slug):
    question = QUESTIONS[slug]
    tolerance = question["tolerance"]
    band = max(tolerance.get("absolute", 0), tolerance.get("relative", 0) * abs(question["answer"]))
    assert abs(RECOMPUTE[slug]() - question["answer"]) <= band, (slug, RECOMPUTE[slug](), question["answer"])
    assert grade(spec_of(question), format(RECOMPUTE[slug](), ".6g")).verdict == "correct"


def test_hand_figures_quoted_in_explanations():
    """The figures the explanations quote are right: M/M/1 budgets, static batching's waste, Llama KV sizes."""
    assert _max_min_fair(1000, {"A": 800, "B": 150, "C": 300}) == {"B": 150, "C": 300, "A": 550}
    # Static batching: 7 x 50 + 500 useful sequence-steps of 8 x 500.
    assert round((7 * 50 + 500) / (8 * 500) * 100) == 21
    # KV bytes per token: Llama-2-7B (32 layers, 32 heads) 0.5 MiB, Llama-3-8B (8 KV heads) 128 KiB.
    assert 32 * 32 * 128 * 2 * 2 == 512 * 1024
    assert 32 * 8 * 128 * 2 * 2 == 128 * 1024
    # Kingman with regular service (cs2 = 0): Wq <= ts at rho = 2/3.
    assert math.isclose(2 / 3 / (1 - 2 / 3) * (1 + 0) / 2, 1.0)
    # The default Linux ephemeral range holds 28,232 ports, about 470 new connections a second.
    assert 60999 - 32768 + 1 == 28232 and round(28232 / 60) == 471
    # 1,000 samples: the 95% interval for P99 runs from rank 984 to rank 996.
    sd = math.sqrt(1000 * 0.99 * 0.01)
    assert (round(990 - 1.96 * sd), round(990 + 1.96 * sd)) == (984, 996)
    # Fleet connections: 4 and 12 pods x 4 workers x (10 + 10); 200 / 48 per worker.
    assert (4 * 4 * 20, 12 * 4 * 20, math.floor(200 / 48), math.floor((200 - 20) / 48)) == (320, 960, 4, 3)
    # CFS: 2 cores x 100 ms of quota burnt by 8 threads in 25 ms, then 75 ms frozen.
    assert (2 * 100 / 8, 100 - 2 * 100 / 8) == (25, 75)
    # kingman-levers: 98% at 5 ms and 2% at 500 ms give cs2 of about 21.6; splitting cuts the wait ~67 times.
    mean, square = 0.98 * 5 + 0.02 * 500, 0.98 * 5 ** 2 + 0.02 * 500 ** 2
    cs2 = (square - mean ** 2) / mean ** 2
    assert (round(mean, 1), round(cs2, 1), round((1 + cs2) / 2 * mean / (0.5 * 5))) == (14.9, 21.6, 67)
    # The P99 interval from rank 984 to rank 996 of 1,000 is the 17th- to the 5th-slowest sample.
    assert (1000 - 984 + 1, 1000 - 996 + 1) == (17, 5)


# ---------------------------------------------------------------------------------------------------------
# Calculated answers, re-implemented step by step.
def _tpot(v):
    decode_ms = v["e2e_s"] * 1000 - v["ttft_ms"]
    return decode_ms / (v["tokens"] - 1)


def _req_per_s(v):
    seconds_per_request = v["tokens"] * v["itl_ms"] / 1000
    return v["batch"] / seconds_per_request  # Little's law: L / W


def _kv_gib(v):
    per_token = 2 * v["layers"] * v["kv_heads"] * 128 * 2  # K and V, fp16
    return per_token * v["tokens"] / 1024 ** 3


def _sequences(v):
    per_sequence = 128 * 1024 * v["tokens"]  # 32 x 8 x 128 x 2 x 2 = 128 KiB a token
    return v["free_gib"] * 1024 ** 3 // per_sequence


def _bucket_seconds(v):
    tokens, t, dt = float(v["capacity"]), 0.0, 0.0005
    while tokens >= 1e-9:  # simulate the drain
        tokens += (v["refill"] - v["rate"]) * dt
        t += dt
    return t


def _usl(v):
    n = v["n"]
    return 1000 * n / (1 + v["sigma"] * (n - 1) + v["kappa"] * n * (n - 1))


def _usl_peak(v):
    def x(n):
        return n / (1 + v["sigma"] * (n - 1) + v["kappa"] * n * (n - 1))
    grid = [i / 100 for i in range(100, 100_000)]
    return max(grid, key=x)  # the peak found numerically, not from the closed form


def _gc_share(v):
    late_window_ms = v["pause_ms"] - 100
    return 100 * late_window_ms / (v["interval_s"] * 1000)


def _throttled_ms(v):
    quota_ms = v["limit"] * 100
    burn_wall_ms = quota_ms / v["threads"]
    return 100 - burn_wall_ms


def _kingman(v):
    rho = v["util_pct"] / 100
    return rho / (1 - rho) * ((v["ca2"] + v["cs2"]) / 2) * v["ts_ms"]


def _ports_per_s(v):
    ports = len(range(int(v["low"]), 61000))
    return ports / 60


def _pool_budget(v):
    per_process = (v["maxc"] - 20) / (v["pods"] * v["workers"])
    return math.floor(per_process)


CALC = {
    "llm-tpot-from-a-run": _tpot,
    "llm-tokens-vs-requests": _req_per_s,
    "llm-kv-cache-per-sequence": _kv_gib,
    "llm-kv-cache-concurrency": _sequences,
    "token-bucket-time-to-empty": _bucket_seconds,
    "usl-throughput-at-n": _usl,
    "usl-peak-concurrency": _usl_peak,
    "gc-pause-share-delayed": _gc_share,
    "cfs-throttle-stall": _throttled_ms,
    "kingman-wait": _kingman,
    "samples-beyond-p999": lambda v: v["rps"] * v["duration_s"] / 1000,
    "p99-confidence-ranks": lambda v: v["n"] * 0.99 + 1.96 * math.sqrt(v["n"] * 0.99 * (1 - 0.99)),
    "ephemeral-port-ceiling": _ports_per_s,
    "n-plus-one-query-rate": lambda v: v["rps"] * (1 + v["page"] + v["page"]),
    "pool-size-budget": _pool_budget,
}


def test_every_calculated_question_has_a_reimplementation():
    assert sorted(set(slugs("calculated")) ^ set(CALC)) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("slug", sorted(CALC))
def test_calculated_answer_is_graded_like_the_reimplementation(slug, seed):
    """The independent value is correct for each learner's variant, and values 30% off are not."""
    spec = spec_of(QUESTIONS[slug])
    variables = sample_variables(spec, seed)
    expected = CALC[slug](variables)
    assert expected > 0
    assert grade(spec, format(expected, ".8g"), variables).verdict == "correct"
    assert grade(spec, format(expected * 1.3, ".8g"), variables).verdict != "correct"
    assert grade(spec, format(expected * 0.7, ".8g"), variables).verdict != "correct"


@pytest.mark.parametrize("slug", sorted(CALC))
def test_calculated_variants_differ_between_learners(slug):
    spec = spec_of(QUESTIONS[slug])
    variants = {tuple(sorted(sample_variables(spec, f"learner-{i}").items())) for i in range(20)}
    assert len(variants) > 1


def test_whole_number_answers_are_whole_for_every_variant():
    """The questions that ask for a whole number get one, and the pool budget leaves room for one worker."""
    for slug in ("llm-kv-cache-concurrency", "pool-size-budget"):
        spec = spec_of(QUESTIONS[slug])
        for seed in range(40):
            v = sample_variables(spec, seed)
            assert float(CALC[slug](v)).is_integer() and CALC[slug](v) >= 1


def test_variants_respect_the_prompts_premises():
    """Every variant keeps the premise its prompt states: the sender outpaces the bucket, the threads outnumber
    the CPU limit, the pause is longer than 100 ms, the utilisation is below 100%."""
    for seed in range(40):
        v = sample_variables(spec_of(QUESTIONS["token-bucket-time-to-empty"]), seed)
        assert v["rate"] > v["refill"]
        v = sample_variables(spec_of(QUESTIONS["cfs-throttle-stall"]), seed)
        assert v["threads"] > v["limit"]
        v = sample_variables(spec_of(QUESTIONS["gc-pause-share-delayed"]), seed)
        assert v["pause_ms"] > 100
        v = sample_variables(spec_of(QUESTIONS["kingman-wait"]), seed)
        assert v["util_pct"] < 100 and v["ca2"] + v["cs2"] > 0
        v = sample_variables(spec_of(QUESTIONS["usl-peak-concurrency"]), seed)
        assert 1 < math.sqrt((1 - v["sigma"]) / v["kappa"]) < 1000


# ---------------------------------------------------------------------------------------------------------
# Choice keys.
KEYS = {
    "llm-prefill-vs-decode": {"a"},
    "llm-static-vs-continuous-batching": {"a"},
    "llm-diagnose-ttft-vs-itl": {"a"},
    "gradient-limit-signal": {"a"},
    "fifo-under-overload": {"a"},
    "codel-signal": {"a"},
    "per-tenant-isolation": {"a", "b", "e"},
    "usl-retrograde-choice": {"a"},
    "throttling-evidence": {"a"},
    "kingman-levers": {"a"},
    "bootstrap-percentile-ci": {"a"},
    "fd-limit-too-many-open-files": {"a"},
    "keep-alive-mismatch": {"a"},
    "locust-reset-stats": {"a"},
    "sequential-taskset-order": {"a"},
    "locust-tags-selection": {"a"},
    "locust-hooks-and-events": {"a", "b", "d"},
    "pgbouncer-vs-max-connections": {"a"},
}


def test_every_choice_question_has_intended_keys():
    assert sorted(set(slugs("single", "multiple")) ^ set(KEYS)) == []


@pytest.mark.parametrize("slug", sorted(KEYS))
def test_choice_keys_are_exactly_the_intended_ones(slug):
    question = QUESTIONS[slug]
    assert {c["id"] for c in question["choices"] if c["correct"]} == KEYS[slug]
    assert grade(spec_of(question), sorted(KEYS[slug])).verdict == "correct"
    for choice in question["choices"]:
        assert choice.get("feedback"), f"{slug}.{choice['id']}: every choice explains itself"


LOCUST_CHECK = """
from itertools import cycle

from locust import HttpUser, SequentialTaskSet, between, tag, task
from locust.user.task import filter_tasks_by_tags


class ApiUser(HttpUser):
    wait_time = between(1, 2)

    @tag("predict")
    @task(3)
    def predict(self):
        pass

    @tag("predict", "slow")
    @task
    def batch_predict(self):
        pass

    @task
    def health(self):
        pass


class Checkout(SequentialTaskSet):
    @task
    def browse(self):
        pass

    @task
    def add_to_cart(self):
        pass

    @task
    def pay(self):
        pass


filter_tasks_by_tags(ApiUser, tags={"predict"}, exclude_tags={"slow"})
print(sorted({t.__name__ for t in ApiUser.tasks}))
checkout = Checkout.__new__(Checkout)
checkout._task_cycle = cycle(Checkout.tasks)
print([checkout.get_next_task().__name__ for _ in range(4)])
"""


@pytest.mark.slow
@pytest.mark.dbfree
def test_locust_itself_agrees_with_the_tags_and_sequence_keys():
    """The tags question's key is what Locust's own filter keeps on the prompt's class, and a SequentialTaskSet
    runs its tasks in declaration order and then starts again. Run in a child process: importing Locust
    monkey-patches the standard library with gevent, which must not leak into the test process."""
    out = subprocess.run([sys.executable, "-c", LOCUST_CHECK], capture_output=True, text=True, timeout=60,
                         check=True).stdout.splitlines()
    assert out[-2:] == ["['predict']", "['browse', 'add_to_cart', 'pay', 'browse']"]


def test_the_new_topics_are_covered_with_every_kind():
    """Each new topic has numbers, choices and at least one free-text question; 8+ rubrics in all."""
    by_topic = Counter((q["topic"], "numbers" if q["type"] in {"numeric", "calculated"} else
                        "choice" if q["type"] in {"single", "multiple"} else "rubric") for q in QUESTIONS.values())
    for topic in ("llm-serving", "overload"):
        assert min(by_topic[(topic, kind)] for kind in ("numbers", "choice", "rubric")) >= 2, by_topic
    assert len(slugs("rubric")) >= 8
    assert len(QUESTIONS) >= 40


# ---------------------------------------------------------------------------------------------------------
# Issue 15, item 5: content fixes that must not come back.
def _all_questions() -> list[dict]:
    import yaml
    from bank_files import CONTENT
    questions = []
    for path in sorted((CONTENT / "questions").glob("*.yaml")):
        questions += yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return questions


def _texts(question: dict) -> list[str]:
    texts = [question.get("explanation", ""), question.get("model_answer", "")]
    texts += [c.get("text", "") + " " + c.get("feedback", "") for c in question.get("choices", [])]
    return texts


PACING_AS_OPEN = re.compile(
    r"closer to (it|an open|the open)|regardless of (latency|the latency|how slow)|whatever the latency"
    r"|stand-in for an open|(cures?|fix(es)?|avoids?|solves?|prevents?) (the )?coordinated omission")
NEGATED = re.compile(r"\bnot\b|n't\b|\bstill\b|\bnever\b")


def test_no_text_offers_pacing_as_an_open_model_or_a_cure_for_coordinated_omission():
    """Many Locust users with constant_pacing / constant_throughput are still closed loops: a stalled user
    omits its sends. A sentence that names them must not call them open, latency-proof or a cure for
    coordinated omission (unless it says they are not)."""
    offenders = []
    for question in _all_questions():
        for text in _texts(question):
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
                if ("constant_pacing" in sentence or "constant_throughput" in sentence) \
                        and PACING_AS_OPEN.search(sentence) and not NEGATED.search(sentence):
                    offenders.append((question["id"], sentence))
    assert offenders == []


def test_the_detector_catches_the_old_wording():
    """The two sentences fixed in issue 15 would be caught."""
    old = [("Tools with a constant arrival rate model the open case, and in Locust many users with "
            "`constant_pacing` get closer to it as long as responses stay faster than the pacing."),
           ("When you need a fixed rate regardless of latency, `constant_throughput` (or `constant_pacing`) "
            "keeps each user at a set number of tasks per second.")]
    assert all(PACING_AS_OPEN.search(s) and not NEGATED.search(s) for s in old)


def _names(title: str, value: float) -> bool:
    forms = {f"{value:g}"}
    if float(value).is_integer():
        forms |= {f"{int(value)}", f"{int(value):,}"}
    words = {1_000_000: r"(a|one) million|1M\b", 1_000: r"(a|one) thousand|1k\b"}
    pattern = "|".join(rf"(?<![\d.,]){re.escape(f)}(?![\d]|\.\d|,\d)" for f in forms)
    if value in words:
        pattern += "|" + words[value]
    return re.search(pattern, title, re.IGNORECASE) is not None


def test_calculated_titles_do_not_name_one_variant():
    """A calculated question's title names all of a variable's values or none: "P99 at a million requests a
    day" on a question that asks about 1, 2, 5 or 10 million requests, at P99 or P99.9, misleads."""
    offenders = []
    for question in _all_questions():
        if question["type"] != "calculated":
            continue
        for name, variable in question.get("variables", {}).items():
            values = variable.get("choices") if isinstance(variable, dict) else None
            if not values or len(values) < 2:
                continue
            # Values under 10 are skipped: "G/G/1" or "M/M/1" in a title is a model, not a variant.
            named = [v for v in values if v >= 10 and _names(question["title"], v)]
            values = [v for v in values if v >= 10]
            if named and len(named) < len(values):
                offenders.append((question["id"], name, named))
    assert offenders == []
    assert _names("P99 at a million requests a day", 1_000_000) and _names("P99 at a million", 99)
    assert not _names("P99.9 only", 99) and _names("P99.9 only", 99.9)

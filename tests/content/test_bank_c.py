"""The bottlenecks, scaling, model-serving and resilience question bank: every answer key recomputed by hand
from the question's own numbers, every rubric graded against written answers, every choice key as intended.

The files are read with yaml.safe_load and graded with the pure engine, so no database is needed.
"""

import math
import re
from collections import Counter

import pytest
import yaml
from bank_files import load_yaml

from quizsite.questions.grading import grade, sample_variables
from quizsite.questions.loader import spec_of

TOPICS = ("bottlenecks", "scaling", "model-serving", "resilience")
SEEDS = ("learner-1", "learner-2", 3, 4, "5")


FILES = {name: load_yaml("questions", name)["questions"] for name in TOPICS}
QUESTIONS = {q["id"]: q for questions in FILES.values() for q in questions}
QUIZZES = {name: load_yaml("quizzes", name) for name in TOPICS}


def slugs(*types: str) -> list[str]:
    return sorted(slug for slug, q in QUESTIONS.items() if q["type"] in types)


# ---------------------------------------------------------------------------------------------------------
# Numeric answers, recomputed by hand from the numbers in each prompt.
RECOMPUTE = {
    # (4,800 total - 1,200 json.dumps - 2,400 np.dot) self samples out of 12,000, in percent.
    "flame-graph-self-time": lambda: (4800 - 1200 - 2400) / 12_000 * 100,
    # The new replica gets 1,000 / 10 req/s for 20 s, out of 1,000 req/s for 60 s, in percent.
    "cold-replica-share": lambda: (1000 / 10) * 20 / (1000 * 60) * 100,
    # 4 workers at 24 ms = 166.7 req/s per replica, 70% of it usable; 250 req/s needs the next whole replica.
    "onnx-replicas-needed": lambda: math.ceil(250 / (4 * (1000 / 24) * 0.70)),
    # Three 1.5 s attempts plus the 0.1 s and 0.2 s waits between them.
    "timeout-budget-exceeded": lambda: 1.5 + 0.1 + 1.5 + 0.2 + 1.5,
    # 16 GB minus 8 workers x (1.1 GB model + 0.3 GB other), shared out at 0.2 GB per request in flight.
    "oom-concurrency-limit": lambda: math.floor((16 - 8 * (1.1 + 0.3)) / 0.2 + 1e-9),
}


def _lock_ceiling(v: dict) -> float:
    cpu_limit = v["cores"] / (v["cpu_ms"] / 1000)  # each core finishes 1 / cpu time requests a second
    lock_limit = 1 / (v["lock_ms"] / 1000)  # one holder at a time
    return min(cpu_limit, lock_limit)


def _amdahl(v: dict) -> float:
    parallel = v["pct"] / 100
    time_on_n = (1 - parallel) + parallel / v["n"]  # fraction of the one-core run time
    return 1 / time_on_n


def _hpa(v: dict) -> float:
    ratio = v["cpu"] / v["target"]
    return -(-v["current"] * v["cpu"] // v["target"]) if ratio > 1.1 else v["current"]


def _keys_moved_pct(v: dict) -> float:
    n = int(v["n"])
    period = n * (n + 1)
    moved = sum(1 for h in range(period) if h % n != h % (n + 1))  # count over one full period of hashes
    return 100 * moved / period


def _first_in_batch_ms(v: dict) -> float:
    batch = min(32, v["rps"] * v["delay"] / 1000)
    return v["delay"] + (v["fixed"] + v["per_item"] * batch)


def _calls_at_bottom(v: dict) -> float:
    calls = 1
    for _ in range(int(v["layers"])):
        calls *= 1 + v["retries"]
    return calls


# Calculated answers, re-implemented independently of each question's formula.
CALC = {
    "gil-throughput-ceiling": lambda v: 1 / (v["cpu_ms"] / 1000),
    "cpu-ceiling-estimate": lambda v: v["cores"] / (v["used"] * 1000 / v["rps"]) * 1000,
    "lock-throughput-ceiling": _lock_ceiling,
    "amdahl-speedup": _amdahl,
    "hpa-desired-replicas": _hpa,
    "scale-up-lag-headroom": lambda v: v["ramp"] * v["lag"] / (v["minutes"] * 60),
    "modulo-hash-remap": _keys_moved_pct,
    "batch-throughput": lambda v: v["b"] / ((v["fixed"] + v["per_item"] * v["b"]) / 1000),
    "batching-first-request-latency": _first_in_batch_ms,
    "retry-amplification": _calls_at_bottom,
    "overload-queue-wait": lambda v: (v["excess"] * v["t"]) / v["cap"],
}


def test_every_numeric_question_has_a_recomputation():
    """A numeric question without a hand recomputation is a failure, so no answer key goes unchecked."""
    assert sorted(set(slugs("numeric")) - set(RECOMPUTE)) == []
    assert sorted(set(RECOMPUTE) - set(slugs("numeric"))) == []


@pytest.mark.parametrize("slug", sorted(RECOMPUTE))
def test_numeric_answer_key_matches_the_prompt(slug):
    """Each numeric answer key equals the value recomputed from the prompt's numbers, within its tolerance."""
    question = QUESTIONS[slug]
    tolerance = question["tolerance"]
    band = max(tolerance.get("absolute", 0), tolerance.get("relative", 0) * abs(question["answer"]))
    assert abs(RECOMPUTE[slug]() - question["answer"]) <= band
    assert grade(spec_of(question), format(RECOMPUTE[slug]())).verdict == "correct"


def test_every_calculated_question_has_a_reimplementation():
    """A calculated question without an independent re-implementation is a failure."""
    assert sorted(set(slugs("calculated")) - set(CALC)) == []
    assert sorted(set(CALC) - set(slugs("calculated"))) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("slug", sorted(CALC))
def test_calculated_answer_is_graded_like_the_reimplementation(slug, seed):
    """For each seeded variant, the independently computed value is correct and a value 30% off is not."""
    spec = spec_of(QUESTIONS[slug])
    variables = sample_variables(spec, seed)
    expected = CALC[slug](variables)
    assert expected > 0
    assert grade(spec, format(expected), variables).verdict == "correct"
    assert grade(spec, format(expected * 1.3), variables).verdict != "correct"
    assert grade(spec, format(expected * 0.7), variables).verdict != "correct"


@pytest.mark.parametrize("slug", sorted(CALC))
def test_calculated_variants_differ_between_learners(slug):
    """Seeded variants give different learners different numbers (not one fixed variant)."""
    spec = spec_of(QUESTIONS[slug])
    variants = {tuple(sorted(sample_variables(spec, f"learner-{i}").items())) for i in range(20)}
    assert len(variants) > 1


def test_hpa_answers_are_whole_replica_counts():
    """The autoscaler question always asks for a whole number and never lands inside the HPA's 10% dead band."""
    spec = spec_of(QUESTIONS["hpa-desired-replicas"])
    for seed in range(50):
        v = sample_variables(spec, seed)
        assert v["cpu"] / v["target"] > 1.1
        assert float(_hpa(v)).is_integer()


def test_gil_question_always_has_enough_threads():
    """The GIL ceiling question promises 32 threads are enough to overlap the waiting, for every variant."""
    spec = spec_of(QUESTIONS["gil-throughput-ceiling"])
    for seed in range(50):
        v = sample_variables(spec, seed)
        assert (v["cpu_ms"] + v["io_ms"]) / v["cpu_ms"] <= 32


def test_batching_window_always_expires_before_the_batch_fills():
    """The batching-latency question relies on the delay expiring first (fewer than 32 requests a batch)."""
    spec = spec_of(QUESTIONS["batching-first-request-latency"])
    for seed in range(50):
        v = sample_variables(spec, seed)
        assert v["rps"] * v["delay"] / 1000 < 32


# ---------------------------------------------------------------------------------------------------------
# Rubric answers: strong, a paraphrase with typos, a partial answer (about half) and a wrong or vague one.
ANSWERS = {
    "low-cpu-high-latency": {
        "strong": (
            "Low CPU with high latency means the requests are waiting, they are not computing. Most likely they "
            "are waiting on I/O: slow queries in the database or a slow downstream service. They may also be "
            "queueing for an exhausted connection pool or thread pool, or stuck on lock contention around a "
            "mutex or a row lock. The average can also hide one saturated core, for example a single-threaded "
            "process or the GIL. To find out I would check per-core CPU, trace a slow request with distributed "
            "tracing to see which span grows, read the pool wait metrics and database latency, and run py-spy "
            "dump to see where threads block."
        ),
        "paraphrase": (
            "With CPU this low the time must go into waiting: the app is probably blocked on i/o, e.g. slow "
            "querys to the databse or an external API. Another option: all workers are busy and requests pile "
            "up, or there's contention on a mutex. One core may be pegged by the global interpeter lock while "
            "the average looks fine. I'd profile with py-spy including idle threads and look at query latency."
        ),
        "partial": (
            "The requests are probably waiting on the database because of slow queries, and the connection "
            "pool could be exhausted. I would look at the logs."
        ),
        "wrong": "The server needs more CPU. I'd move to a bigger instance with more cores and restart it.",
    },
    "use-and-red-methods": {
        "strong": (
            "USE stands for utilization, saturation and errors, and you apply it to every resource: CPU, memory, "
            "disk, network, connection pools. RED stands for rate, errors and duration, and you apply it to each "
            "service, the request-driven view that users see. I put RED on every service dashboard to spot the "
            "symptom and which service is slow, then drill down with USE on that service's resources to find "
            "the root cause."
        ),
        "paraphrase": (
            "The USE method is Utilisation, Saturaton, Errors, checked for each resource such as cpu, ram and "
            "disks. RED is request rate, errors and latency (duration) per microservice. They complement each "
            "other: RED tells you users are hurting, USE tells you which resource is the bottleneck."
        ),
        "partial": "USE means utilization, saturation and errors. RED means rate, errors and duration.",
        "wrong": "They are two ways to write unit tests, one for the UI and one for the backend.",
    },
    "explain-flame-graph": {
        "strong": (
            "I'd attach a sampling profiler, py-spy, to the live process under realistic load with py-spy "
            "record --pid, which has low overhead. In the flame graph each box is a function. The width is the "
            "share of samples in which it was on the stack, so wider means more time. The height is just the "
            "stack depth, callers below and callees above, and the left-to-right order is meaningless. I look "
            "for the widest boxes, especially wide ones with nothing on top, which is self time: the hot spot "
            "to optimise."
        ),
        "paraphrase": (
            "Use py spy to sample the running proces while the load test runs. Box widht = proportion of time "
            "that function (and its children) was on the stack. Height only shows the call depth, who called "
            "whom. Find the widest frames and the plateaus, thats the hot path."
        ),
        "partial": (
            "I'd run py-spy on the server and look at the flame graph; the wider a box, the more time was "
            "spent there."
        ),
        "wrong": (
            "A flame graph is a timeline of the requests: the x axis is time and the tallest stack is the "
            "slowest function."
        ),
    },
    "gil-threads-vs-processes": {
        "strong": (
            "The GIL is CPython's global interpreter lock: only one thread executes Python bytecode at a time in "
            "a process. Threads are still fine for I/O-bound work, because a thread releases the GIL while it "
            "waits on the network. CPU-bound pure Python gets no speedup from threads; they take turns on one "
            "core. To use all cores you run multiple processes, such as gunicorn workers or a "
            "ProcessPoolExecutor, each with its own GIL, at the cost of more memory because each process loads "
            "its own copy of the model. NumPy and other C extensions release the GIL in heavy calls."
        ),
        "paraphrase": (
            "GIL = global interpretor lock, so one thread at a time runs python code. For IO bound stuff threads "
            "are ok since waiting on io releases it. For cpu heavy code there's no parallelism, so I'd scale "
            "with multiprocessing or several uvicorn workers, one process per core; each uses more memory."
        ),
        "partial": "The GIL means only one thread runs at a time, so CPU-bound code is stuck on one core.",
        "wrong": "The GIL is Python's garbage collector; it pauses threads while it cleans up.",
    },
    "stateless-web-tier": {
        "strong": (
            "Make the app stateless so any replica can serve any request. Move sessions into Redis or the "
            "database and the upload chunks into object storage such as S3. Then replicas can be added or "
            "removed freely, and autoscaling and rolling deploys just work. Sticky sessions are a stopgap: load "
            "becomes uneven, and users lose their session when their replica crashes or is redeployed."
        ),
        "paraphrase": (
            "I'd externalise the state: session data goes to a shared store like memcached or redis, uploads to "
            "blob storage, so every request can hit any instance. That makes scale out and failover trivial. "
            "Sticky sesions only hide the problem - you get imbalance, and when a node fails everyone pinned to "
            "it gets logged out."
        ),
        "partial": "Make it stateless: put the sessions in Redis so any replica can serve a user.",
        "wrong": "Just use sticky sessions on the load balancer.",
    },
    "autoscaling-signal-choice": {
        "strong": (
            "CPU is fine only when inference is CPU-bound with a steady cost per request. The best trigger is "
            "queue depth or in-flight requests per replica, a leading signal. Latency is what users feel, but as "
            "a trigger it is lagging and noisy, and a slow downstream raises it too, so I alert on latency. "
            "Scale-up lag matters: pods need time for image pull and model load, so I keep headroom with a 60% "
            "target and min replicas, and pre-scale on a schedule. Scale down slowly with a stabilization "
            "window; flapping is the risk."
        ),
        "paraphrase": (
            "For CPU-bound models CPU utilisaton works. Better: the number of concurrent requests per pod, or "
            "the backlog. Latency reacts too late, it's a symptom. New pods have a cold start (model loading) so "
            "keep some buffer and a minimun of replicas. Add a cooldown before scaling in."
        ),
        "partial": (
            "I'd scale on the number of in-flight requests per replica, and keep a minimum number of replicas "
            "as headroom."
        ),
        "wrong": "I'd scale on memory, because models use lots of RAM.",
    },
    "doubled-cores-small-gain": {
        "strong": (
            "Adding replicas only speeds up the parallel part: by Amdahl's law the serial part caps the "
            "speed-up. In practice all replicas share a bottleneck, usually the database, a lock or a downstream "
            "service, and that shared resource is now saturated. Contention and coordination overhead also grow "
            "with more replicas. I would measure what is saturated now with the USE method, and check the load "
            "generator, then relieve it: cache reads, add read replicas, shard, or remove the lock."
        ),
        "paraphrase": (
            "Amdhal's law: the serial portion stays the same, so the speedup flattens. Most likely the "
            "bottleneck moved to the DB that all 8 replicas hit. More replicas also means more contention. I'd "
            "look at metrics on the database and then add caching or read replicas."
        ),
        "partial": "The database is probably the bottleneck that all replicas share, so we should add a cache.",
        "wrong": "The new replicas are still warming up; wait a day and it will double.",
    },
    "vertical-vs-horizontal": {
        "strong": (
            "Vertical scaling means a bigger machine with more CPU and RAM. It is simple, but there is a ceiling, "
            "it gets expensive, and it is a single point of failure. Horizontal scaling means more machines "
            "behind a load balancer: it gives fault tolerance and autoscaling, but the service must be stateless "
            "or the data sharded. I scale stateless web tiers out and usually scale the database up first."
        ),
        "paraphrase": (
            "Scaling up = a beefier box with more CPU and RAM; easy, but there's a ceiling and it's a single "
            "point of failure. Scaling out = adding more nodes behind a load balancer; gives redundancy and "
            "elasticity but the app must be stateless. Databases usualy go vertical first, stateless web tiers "
            "go horizontal."
        ),
        "partial": "Vertical means a bigger machine and horizontal means more machines.",
        "wrong": "Vertical scaling is for the frontend and horizontal scaling is for the backend.",
    },
    "async-cpu-bound-explain": {
        "strong": (
            "The model call is CPU-bound and never awaits, so it blocks the event loop. Every other request on "
            "that worker waits behind it, health checks included, and latency climbs. The fix is to offload it "
            "with run_in_executor: a process pool for pure Python, or asyncio.to_thread when the library releases "
            "the GIL. And run several uvicorn workers, about one per core."
        ),
        "paraphrase": (
            "predict never awaits, so it stalls the loop and all requests wait one at a time, even /healthz. "
            "Move it to a thread pool (if numpy releases the GIL) or a ProcessPoolExecuter, and start more "
            "workers."
        ),
        "partial": "It blocks the event loop, so other requests have to wait.",
        "wrong": "Async makes it run in parallel on all cores, so it is fine.",
    },
    "cold-start-warmup": {
        "strong": (
            "New replicas are cold: the model is loaded lazily on the first request, and the runtime session "
            "and caches initialise on first use. Load the model at startup in the lifespan hook, send a few "
            "warm-up requests, and make the readiness probe pass only after warm-up. Then ramp traffic with slow "
            "start and rolling deploys."
        ),
        "paraphrase": (
            "It's a cold-start problem: lazy loading and JIT on the first requests. Preload the model when the "
            "process boots, fire some dummy requests to warm it, and only mark ready after that (readyness "
            "probe). Also keep min replicas and roll out gradualy."
        ),
        "partial": "The new pods are cold, so we should warm them up with some requests before they get traffic.",
        "wrong": "The network is slow after deploys; put a CDN in front of the API.",
    },
    "dynamic-batching-tuning": {
        "strong": (
            "Dynamic batching means the server collects individual requests that arrive close together and runs "
            "them through the model as one batch. It amortises the fixed overhead per call, especially on a GPU, "
            "so throughput rises. The cost is latency: a request waits for the batch to fill and then for the "
            "whole batch to compute. I tune the max batch size and the max queue delay against the latency "
            "budget, then load test at low and high traffic and watch P99 and throughput."
        ),
        "paraphrase": (
            "Dynamic batching combines requests that arrive close together into one model call. That amortizes "
            "the fixed cost on the GPU, so thoughput goes up a lot, but it adds latency since each request waits "
            "for the batch. You tune the batch size and the max delay against the SLO, then benchmark at low "
            "and high traffic and watch p99."
        ),
        "partial": "It groups requests into one batch to get more throughput.",
        "wrong": "Batching means clients send lists of inputs in one HTTP call, which always makes it faster.",
    },
    "cheaper-inference": {
        "strong": (
            "First measure a baseline under load: latency, throughput and accuracy. Export the model to ONNX "
            "Runtime for graph optimisations, quantize it to INT8 and check accuracy on a held-out set, or use a "
            "smaller distilled model. Batch requests with dynamic batching and cache repeated predictions. "
            "Re-run the load test after each change."
        ),
        "paraphrase": (
            "Convert it to onnx runtime, apply int8 quantisation and check the acuracy, try a distiled model, "
            "add batching and a cache for repeated inputs, and benchmark before and after."
        ),
        "partial": "Use ONNX Runtime and quantize the model to int8.",
        "wrong": "Buy more servers and add replicas until it is fast enough.",
    },
    "retry-storm-postmortem": {
        "strong": (
            "A retry storm. Every layer retried the timeouts, so with 3 retries at 3 layers one request became "
            "up to 64 database calls, and load multiplied just as capacity dropped. The retries were "
            "synchronised, and queues filled with work for callers that had already timed out, so it stayed "
            "overloaded after the database recovered. The fix: retry at one layer only with a retry budget, "
            "exponential backoff with jitter, circuit breakers to fail fast, and load shedding with bounded "
            "queues and timeouts that fit the deadline."
        ),
        "paraphrase": (
            "Classic retry amplification: each tier retried, the multiplier was something like 64x on the DB. "
            "Timed out requests piled up as a backlog so it never recovered. Use exponential backof with jitter, "
            "limit retries to one layer, add a circuit breaker, and shed load."
        ),
        "partial": "Add exponential backoff with jitter and a circuit breaker.",
        "wrong": "The database was too small. We should add more retries so requests eventually succeed.",
    },
    "backpressure-and-shedding": {
        "strong": (
            "Backpressure means a full component pushes back on its callers: bounded queues and a concurrency "
            "limit. Load shedding rejects the excess early with 503 and a Retry-After header. For the model API "
            "I'd cap in-flight requests per worker at the concurrency it serves within the SLO, measured in a "
            "load test, and return 503 beyond it, so admitted requests keep their latency and the service keeps "
            "its goodput. Shed low-priority traffic first and make clients back off with jitter."
        ),
        "paraphrase": (
            "Bakpressure: when your queue is full you push back so producers slow down; use a bounded queue. Load "
            "shedding: reject the excess fast with a 503 or 429. That keeps latency low for admitted requests. "
            "Pick the limit from a load test and prioritise critical requests."
        ),
        "partial": "Use a bounded queue and return 503 when it is full.",
        "wrong": "You add more servers when traffic is high.",
    },
    "circuit-breaker-explain": {
        "strong": (
            "A circuit breaker wraps calls to a dependency and tracks failures. While closed, calls flow. When "
            "the failure rate passes a threshold it opens and calls fail fast without touching the dependency, "
            "ideally with a fallback. After a wait it goes half-open and lets a few trial calls through; if they "
            "succeed it closes. It gives the dependency room to recover and stops a cascading failure, because "
            "my threads are not tied up waiting on timeouts."
        ),
        "paraphrase": (
            "It wraps calls to a dependancy; once the error rate crosses a threshold it trips open and calls "
            "fail immediately, maybe returning a cached response. After a timeout it goes half-open to test a "
            "few calls and closes if they work. This stops cascading failures and gives the downstream time to "
            "recover."
        ),
        "partial": "After too many failures it fails fast.",
        "wrong": "It is a hardware fuse in the data centre that cuts power when a server overheats.",
    },
    "oom-under-load": {
        "strong": (
            "Memory grows with concurrency: each in-flight request allocates memory for its input and tensors, "
            "and nothing bounds how many requests a worker accepts, so at 300 users the requests in flight plus "
            "every worker's model copy exceed the limit. It could also be a memory leak. To confirm, plot RSS "
            "against in-flight requests during a ramp and run a soak test; tracemalloc or memray show what "
            "allocates. Fix it by capping concurrency per worker and shedding the rest with 503, bounding the "
            "queues, limiting request size, using fewer workers, and keeping headroom below the limit."
        ),
        "paraphrase": (
            "Each in-flight request holds memory and nothing limits concurency, so at 300 users the memory per "
            "request times the requests plus the model copies blows the limit. Could also be a leak. Graph RSS "
            "during a ramp and run a soak test; memray shows allocations. Fix: a semaphore to cap concurrency per "
            "worker, 503 for the rest, and fewer workers."
        ),
        "partial": (
            "Memory grows with load because there are more concurrent requests; I'd add a concurrency limit."
        ),
        "wrong": "Just add more memory to the pods.",
    },
}


def test_every_rubric_question_has_four_answers():
    """Each rubric question is checked against a strong, a paraphrased, a partial and a wrong answer."""
    assert sorted(set(slugs("rubric")) - set(ANSWERS)) == []
    assert sorted(set(ANSWERS) - set(slugs("rubric"))) == []
    for answers in ANSWERS.values():
        assert set(answers) == {"strong", "paraphrase", "partial", "wrong"}


def _grade(slug: str, kind: str):
    return grade(spec_of(QUESTIONS[slug]), ANSWERS[slug][kind])


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_strong_answer_is_correct(slug):
    """A strong answer covering every point is correct with a score of at least 0.8."""
    result = _grade(slug, "strong")
    assert result.verdict == "correct", result.feedback
    assert result.score >= 0.8, result.feedback


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_paraphrased_answer_scores_well(slug):
    """The same ideas in other words, with a typo or two, still score at least 0.7."""
    result = _grade(slug, "paraphrase")
    assert result.score >= 0.7, result.feedback


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_partial_answer_gets_partial_credit(slug):
    """An answer with about half of the points is partial, scoring between 0.3 and 0.8."""
    result = _grade(slug, "partial")
    assert 0.3 <= result.score < 0.8, result.feedback
    assert result.verdict == "partial", result.feedback


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_wrong_answer_scores_low(slug):
    """A wrong or vague answer scores below 0.35."""
    result = _grade(slug, "wrong")
    assert result.score < 0.35, result.feedback


@pytest.mark.parametrize("slug", slugs("rubric"))
def test_model_answer_is_correct_against_its_own_rubric(slug):
    """The model answer a learner is shown would itself be graded correct."""
    question = QUESTIONS[slug]
    assert grade(spec_of(question), question["model_answer"]).verdict == "correct"


# ---------------------------------------------------------------------------------------------------------
# Choice questions: exactly these choices are correct.
CORRECT = {
    "use-cpu-saturation": {"b"},
    "flame-graph-width": {"c"},
    "gil-threads-cpu-bound": {"d"},
    "waiting-not-working-signals": {"a", "c", "e"},
    "load-generator-bottleneck": {"a"},
    "sessions-lost-after-scale-out": {"a"},
    "lb-least-connections": {"d"},
    "autoscale-queue-workers": {"c"},
    "cpu-poor-autoscale-signal": {"a", "b", "d"},
    "async-handler-blocks-loop": {"a"},
    "cpu-work-process-pool": {"b"},
    "dynamic-batching-facts": {"b", "c", "e"},
    "int8-quantisation-effects": {"a", "c", "d"},
    "uvicorn-workers-per-core": {"d"},
    "backoff-needs-jitter": {"b"},
    "circuit-breaker-half-open": {"c"},
    "which-failures-to-retry": {"b", "c", "e"},
    "locust-503-counted-as-success": {"d"},
}


def test_every_choice_question_has_its_intended_key():
    """Every choice question appears in CORRECT, so a changed key cannot slip through."""
    assert sorted(set(slugs("single", "multiple")) ^ set(CORRECT)) == []


@pytest.mark.parametrize("slug", sorted(CORRECT))
def test_choice_key_is_as_intended(slug):
    """Exactly the intended choices are marked correct; every choice has text and feedback; single has one."""
    question = QUESTIONS[slug]
    marked = {c["id"] for c in question["choices"] if c.get("correct") is True}
    assert marked == CORRECT[slug]
    assert all(c.get("text", "").strip() and c.get("feedback", "").strip() for c in question["choices"])
    if question["type"] == "single":
        assert len(marked) == 1
    else:
        assert 1 < len(marked) < len(question["choices"])


@pytest.mark.parametrize("slug", sorted(CORRECT))
def test_choice_key_grades_correct_and_a_wrong_pick_does_not(slug):
    """Picking the intended choices is correct; adding a wrong pick, or picking only a wrong one, is not."""
    question = QUESTIONS[slug]
    spec = spec_of(question)
    picks = sorted(CORRECT[slug])
    assert grade(spec, picks if question["type"] == "multiple" else picks[0]).verdict == "correct"
    wrong = min({c["id"] for c in question["choices"]} - CORRECT[slug])
    bad = picks + [wrong] if question["type"] == "multiple" else wrong
    assert grade(spec, bad).verdict != "correct"


# ---------------------------------------------------------------------------------------------------------
# The shape of the bank.
def test_each_topic_has_the_agreed_mix():
    """Each file holds 12-13 questions of its own topic: at least 4 choice, 4 numeric/calculated, 4 rubric."""
    assert len(QUESTIONS) == sum(len(q) for q in FILES.values())  # ids are unique across the four files
    for topic, questions in FILES.items():
        assert 12 <= len(questions) <= 13, topic
        assert {q["topic"] for q in questions} == {topic}
        kinds = Counter(q["type"] for q in questions)
        assert kinds["single"] + kinds["multiple"] >= 4, topic
        assert kinds["numeric"] + kinds["calculated"] >= 4, topic
        assert kinds["rubric"] >= 4, topic


def test_every_question_has_difficulty_competency_tags_and_explanation():
    """Every question states its difficulty and competency, has tags and an explanation; rubrics have follow-ups."""
    for slug, question in QUESTIONS.items():
        assert question.get("difficulty") in {"easy", "medium", "hard"}, slug
        assert question.get("competency") in {"measurement", "diagnosis", "scaling", "tradeoffs",
                                              "communication"}, slug
        assert question.get("tags"), slug
        assert len(question.get("explanation", "").strip()) > 200, slug
        if question["type"] == "rubric":
            assert len(question.get("follow_ups", [])) >= 2, slug


def test_competencies_are_mixed():
    """The set covers all five competencies, none of them dominating."""
    counts = Counter(q["competency"] for q in QUESTIONS.values())
    assert set(counts) == {"measurement", "diagnosis", "scaling", "tradeoffs", "communication"}
    assert max(counts.values()) <= len(QUESTIONS) // 2


@pytest.mark.parametrize("slug", slugs("numeric", "calculated"))
def test_numeric_prompt_states_tolerance_or_rounding(slug):
    """Every numeric prompt tells the learner how precise to be: a tolerance or a whole number."""
    prompt = QUESTIONS[slug]["prompt"]
    assert re.search(r"to\s+within\s+\d+%|whole\s+number", prompt), prompt


def test_placeholders_name_declared_variables_only():
    """{{ }} appears only around declared variables of calculated questions."""
    for slug, question in QUESTIONS.items():
        names = set(question.get("variables", {}))
        text = yaml.safe_dump(question)
        for name in re.findall(r"\{\{\s*(\w+)\s*\}\}", text):
            assert name in names, (slug, name)
        assert text.count("{{") == len(re.findall(r"\{\{\s*\w+\s*\}\}", text)), slug


@pytest.mark.parametrize("topic", TOPICS)
def test_practice_quiz_lists_existing_questions_of_its_topic(topic):
    """Each topic's practice quiz holds 8-10 distinct questions of that topic, in practice mode."""
    quiz = QUIZZES[topic]
    assert quiz["id"] == f"{topic}-practice"
    assert quiz["mode"] == "practice"
    ids = quiz["questions"]
    assert 8 <= len(ids) <= 10
    assert len(set(ids)) == len(ids)
    assert all(QUESTIONS[slug]["topic"] == topic for slug in ids)

"""The load-testing, Locust and latency question bank (and the lesson track): every numeric answer key
recomputed by hand from the question's own numbers, every calculated formula re-implemented and checked
against the engine for several seeds, every rubric graded against four written answers, every choice key
as intended, and the quizzes built only from these files.

The files are read with yaml.safe_load and graded with the pure engine, so no database is needed.
"""

import math
import re

import pytest
from bank_files import load_yaml, readings

from quizsite.questions.grading import grade, sample_variables
from quizsite.questions.loader import spec_of

QUESTION_FILES = ("lesson", "load-testing", "locust", "latency")
QUIZ_FILES = ("load-testing", "locust", "latency", "load-testing-lesson")
SEEDS = ("learner-1", "learner-2", 3, 44, "interview")
OBJECTIVES = ("objective-rps-p99", "objective-locust-script", "objective-cpu-vs-io", "objective-interview")


QUESTIONS = {q["id"]: q for name in QUESTION_FILES for q in load_yaml("questions", name)["questions"]}
QUIZZES = {name: load_yaml("quizzes", name) for name in QUIZ_FILES}


def slugs(*types: str) -> list[str]:
    return sorted(slug for slug, q in QUESTIONS.items() if q["type"] in types)


# ---- numeric: answers recomputed by hand from the numbers in each prompt ----

STEP_TEST = [  # users, req/s, P99 ms, errors %
    (100, 190, 140, 0), (200, 380, 150, 0), (300, 565, 210, 0),
    (400, 700, 480, 0.1), (500, 710, 1900, 2.5), (600, 705, 4200, 9),
]
TWENTY_LATENCIES = [12, 14, 15, 15, 16, 18, 19, 21, 22, 24, 25, 27, 30, 33, 38, 45, 60, 95, 240, 1100]
CUMULATIVE_BUCKETS = [(100, 9000), (250, 9800), (500, 9950), (1000, 10000)]


def _histogram_quantile(q: float, buckets: list[tuple[float, int]]) -> float:
    """Prometheus's rule: find the bucket holding rank q x total, interpolate linearly inside it."""
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    raise AssertionError("rank beyond the last bucket")


def _stall_share_over_1s() -> float:
    """Requests scheduled every 10 ms during a 100 s freeze (100 s to 200 s), all answered at 200 s."""
    sent_ms = [100_000 + 10 * k for k in range(10_000)]
    slow = sum(1 for t in sent_ms if 200_000 - t > 1_000)
    return slow / (10_000 + 10_000) * 100


RECOMPUTE = {
    # Highest throughput among the steps with P99 <= 500 ms and errors < 1%.
    "lt-step-test-read": lambda: max(rps for _, rps, p99, err in STEP_TEST if p99 <= 500 and err < 1),
    # 400 users running at 180 s, the ramp to 800 adds 40 a second for 5 s.
    "locust-shape-users-at": lambda: min(800, 400 + (185 - 180) * 40),
    # Nearest rank: the value at rank ceil(0.90 x 20), counting from 1.
    "lat-nearest-rank-p90": lambda: sorted(TWENTY_LATENCIES)[math.ceil(0.90 * 20) - 1],
    "lat-co-stall": _stall_share_over_1s,
    "lat-histogram-quantile": lambda: _histogram_quantile(0.99, CUMULATIVE_BUCKETS),
}


def _tolerance(spec: dict, expected: float) -> float:
    band = spec.get("tolerance", {"relative": 0.01})
    return max(band.get("relative", 0) * abs(expected), band.get("absolute", 0))


@pytest.mark.parametrize("slug", slugs("numeric"))
def test_numeric_answer_matches_a_hand_recomputation(slug):
    """Each numeric answer key equals the value recomputed from the prompt's numbers, within its tolerance."""
    assert slug in RECOMPUTE, f"{slug} has no hand recomputation in RECOMPUTE"
    spec = spec_of(QUESTIONS[slug])
    recomputed = RECOMPUTE[slug]()
    assert abs(recomputed - spec["answer"]) <= _tolerance(spec, recomputed)
    assert grade(spec, format(recomputed)).verdict == "correct"


def test_every_numeric_question_is_recomputed():
    """A numeric question added to these files without a hand recomputation fails the suite."""
    assert sorted(RECOMPUTE) == slugs("numeric")


# ---- calculated: each formula re-implemented independently ----

CALC = {
    # MLUser: between(1, 2) waits 1.5 s on average; one request per cycle of think + response.
    "lesson-rps-from-users": lambda v: v["users"] / ((1 + 2) / 2 + v["latency_ms"] / 1000),
    "lesson-p99-daily-slow": lambda v: v["requests"] * (1 - v["pct"] / 100),
    # Requests needed so that 0.1% of them number `tail`, at `rate` req/s, in minutes.
    "lt-steady-state-duration": lambda v: (v["tail"] * 1000) / v["rate"] / 60,
    "lt-closed-model-slowdown": lambda v: v["users"] / (v["think"] + v["slow_ms"] / 1000),
    "lt-open-model-in-flight": lambda v: v["rate"] * (v["slow_ms"] / 1000),
    "lt-soak-leak-hours": lambda v: (2048 - v["base"]) / v["leak"],
    "lt-headroom": lambda v: (v["capacity"] - v["peak"]) / v["peak"] * 100,
    "locust-ramp-time": lambda v: v["users"] / v["rate"],
    "locust-task-weight-share": lambda v: 1 / (v["w_browse"] + v["w_cart"] + 1) * 100,
    "locust-pacing-overrun": lambda v: v["users"] / max(v["pacing"], v["task_s"]),
    "locust-processes-needed": lambda v: math.ceil(v["target"] / v["per_proc"]),
    "lat-fanout-amplification": lambda v: (1 - (v["pct"] / 100) ** v["n"]) * 100,
    "lat-mean-vs-tail": lambda v: (98 * v["fast"] + 2 * v["slow"]) / 100,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("slug", slugs("calculated"))
def test_calculated_answer_matches_an_independent_implementation(slug, seed):
    """For each seeded variant the engine accepts the independently computed answer and refuses one 30% off."""
    assert slug in CALC, f"{slug} has no independent implementation in CALC"
    spec = spec_of(QUESTIONS[slug])
    variables = sample_variables(spec, seed)
    expected = CALC[slug](variables)
    assert expected > 0
    assert grade(spec, format(expected), variables).verdict == "correct"
    assert grade(spec, format(expected * 1.3), variables).verdict != "correct"


def test_every_calculated_question_is_reimplemented():
    """A calculated question added to these files without an entry in CALC fails the suite."""
    assert sorted(CALC) == slugs("calculated")


def test_calculated_prompts_use_only_declared_variables():
    """Every {{ name }} in a calculated prompt or explanation is one of the question's variables, and
    no other question uses {{ }} at all."""
    for slug, question in QUESTIONS.items():
        names = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", question["prompt"] + question["explanation"]))
        declared = set(question.get("variables", {}))
        assert names <= declared, f"{slug}: undeclared {names - declared}"
        if question["type"] == "calculated":
            assert declared <= names, f"{slug}: variables never shown to the learner: {declared - names}"


# ---- rubric: four written answers per question ----

# Four answers per rubric question: strong, paraphrase (other words, a typo or two), partial, wrong.
ANSWERS = {
    "what-is-p99": (
        ("P99 is the 99th percentile of latency: 99% of requests finish at or below that time and 1 in "
         "100 is slower. The average hides the tail, so being fast on average is not enough. At scale 1% "
         "is a lot: with 1M requests a day a P99 of 2 s means 10,000 slow requests, so we optimise for "
         "P99."),
        ("It's the ninety-ninth percentile latancy - only the slowest one percent of requests take longer "
         "than it. Averages can look fine while the worst case is awful, and with a million users that "
         "slowest 1% is thousands of angry users every day."),
        "P99 is the 99th percentile of the response times; 99% of the requests are at or below it.",
        "P99 is a measure of how fast the API is. Lower is better, so we try to make it small.",
    ),
    "debug-high-latency": (
        ("First check CPU and memory usage on the instances to see whether they are saturated. Then check "
         "I/O: are requests waiting on the database, S3 or other network calls? Then profile the code "
         "under load and read a flame graph. If it is CPU-bound, add replicas or optimise the model with "
         "ONNX; if it is I/O-bound, use async I/O and caching."),
        ("I'd look at cpu utilisation and memory presure first, then whether we're stuck waiting for the "
         "databse or downstream calls. A profiler like py-spy tells me where time is spent. CPU bound: "
         "scale out with more instances or quantize the model. IO bound: go asynchronous and cache "
         "results."),
        ("I would check the CPU usage and memory of the servers, and then profile the code with a flame "
         "graph."),
        "I would restart the service and see if it gets better, and ask the team what changed.",
    ),
    "lesson-mluser-fix": (
        ("The method has no @task decorator, so MLUser has no tasks and every user raises 'No tasks "
         "defined'. Add @task. Then data=payload sends a form-encoded body while the API expects JSON, so "
         "every request would fail with 422: use json=payload. The URL is hard-coded; use the path "
         "/predict and pass the server with --host. Finally, check the response with catch_response=True "
         "and call response.failure() when the body has no price."),
        ("predict_home is missing the task decorater, so Locust finds no tasks and sends nothing. The "
         "payload should go as json (json=payload) - data= posts form data and FastAPI answers 422. I'd "
         "also pass the target with the host flag rather than a full url, and validate the response body."),
        ("It needs the @task decorator on predict_home, otherwise Locust has no tasks to run. And the "
         "target server should come from the --host option."),
        "The wait time is too short, make it between(5, 10) and add more users.",
    ),
    "lesson-interview-breaking-point": (
        ("First agree on an SLO, say P99 under 500 ms and errors under 1%, and the expected peak. Write a "
         "realistic Locust test with the real traffic mix and think time, run it against a "
         "production-like environment, and ramp up the users gradually past the expected peak. Watch RPS, "
         "P95/P99 latency and the error rate, and the servers' CPU, memory and database connections. The "
         "breaking point is where throughput plateaus while latency shoots up or errors appear; note "
         "which resource saturated first, and check the load generator is not the bottleneck."),
        ("I'd define what broken means with a target latancy, build a test that mimics real user behavior "
         "on a staging setup like prod, and step up the load bit by bit beyond peak. I'd graph requests "
         "per second, p99 and errors; when rps levels off and latency climbs, that's the knee. I'd also "
         "watch cpu and memory to see the bottleneck and make sure the load generator keeps up."),
        "I would ramp up the number of users step by step and watch the P99 latency and error rate.",
        "I would run a load test with Locust and look at the latency to see if the API is fast enough.",
    ),
    "lesson-average-misleading": (
        ("The average hides the tail. Latency has a long-tailed, skewed distribution: most requests are "
         "fast and a few are very slow. 98 requests at 50 ms and 2 at 3.5 s average 119 ms, yet 2 in 100 "
         "users wait 3.5 seconds. Look at percentiles - the median, P95 and P99. At 1M requests a day 1% "
         "is 10,000 slow requests. I'd propose an SLO on P99, e.g. P99 under 300 ms."),
        ("A mean of 120 ms can be misleeding because outliers disappear in it; the distribution is skewed "
         "with a long tail. I'd want the 95th and 99th percentile. If 1 in 100 requests takes seconds, "
         "that's 10k slow requests per day at a million requests, so let's set a target on p99."),
        "The average can hide slow requests. We should look at the P99 as well.",
        "120 ms is a good number, users won't notice anything under 200 ms, so the average is fine.",
    ),
    "lt-test-types-explain": (
        ("A load test runs the expected peak load to verify we meet the SLO. A stress test pushes beyond "
         "capacity until it breaks, to find the breaking point and see how it fails and whether it "
         "recovers. A soak test holds normal load for many hours to find memory leaks. A spike test jumps "
         "the traffic suddenly, like a flash sale, to check autoscaling and recovery."),
        ("Load test = normal production trafic, check it meets the slo. Stress test = keep increasing "
         "past the limit to find where it fails. Soak = an endurance run over a long period (overnight) "
         "to catch leaks. Spike = a sudden surge to see if the system recovers gracefully."),
        "A load test uses the expected load. A stress test goes until it breaks.",
        "They are all basically the same thing, you just run Locust with different numbers of users.",
    ),
    "lt-open-vs-closed-explain": (
        ("In a closed model there is a fixed number of users, and each waits for its response before "
         "sending the next request, so the rate depends on latency. In an open model requests arrive at "
         "their own arrival rate regardless of response time. Locust is a closed model. Under overload a "
         "closed test throttles itself: the load drops when the system slows, so it understates the "
         "problem (coordinated omission), while real open traffic keeps arriving and queues grow."),
        ("Closed: a fixed popualtion of virtual users, each one waits for the response, thinks, then "
         "sends again. Open: new requests keep coming at a constant rate, independent of the response. "
         "Locust users wait, so Locust is closed. When the server is overloaded the closed test backs off "
         "and sends less, which is too optimistic; in production the requests pile up."),
        ("A closed model has a fixed number of users who each wait for the response before sending the "
         "next request; in an open model requests come at a fixed arrival rate whatever the response time."),
        "Open means the API is public and closed means it needs authentication.",
    ),
    "lt-realistic-test": (
        ("The test probably didn't look like production. Check the traffic mix against the access logs, "
         "not one endpoint. Use realistic, varied data - the same payload every time means every request "
         "is a cache hit. Use realistic think time and number of users. Run on a production-like "
         "environment with real downstream dependencies instead of mocks and a full-size database. Make "
         "sure the load generator was not saturated, and run long enough to get past warm-up."),
        ("Maybe we only hammered a single cheap endpoint instead of the real mix of requets, and sent the "
         "same user id over and over so everything got cached. Staging may have smaller hardware and "
         "mocked third party services. The wait time might have been wrong, and the locust cpu could have "
         "been maxed out. And the run was probably too short to reach steady state."),
        ("The traffic mix may not match production, and the test data was probably the same payload every "
         "time so it was always cached."),
        "Production must have had a bug; the load test was fine, so we should just add more servers.",
    ),
    "lt-report-results": (
        ("The headline: the throughput we sustained and the breaking point, with which resource saturated "
         "first. Latency as P50, P95 and P99 percentiles, and the error rate with the kinds of errors. "
         "The test conditions - version, environment, scenario, users, spawn rate and duration - so it "
         "can be reproduced. A comparison with the baseline, and a recommendation with the headroom and "
         "next steps."),
        ("I'd state the max RPS we held and where it broke (the bottlenek was the db cpu), the tail "
         "latency percentiles like p95/p99 rather than averages, and the failure rate. I'd list the "
         "setup: which build, what environment, how many users and for how long, so anyone can reproduce "
         "it, plus how it compares to the previous run and what we recommend."),
        "I would report the requests per second we reached, the P95 and P99 latency, and the error rate.",
        "I would say the test passed and the average response time was fine.",
    ),
    "lt-prod-testing": (
        ("The risk is real users: the test can degrade or take down production, and it can create side "
         "effects like fake orders, payments and emails or pollute analytics. Staging a quarter of the "
         "size does not scale linearly either. If we do it: run off-peak, start small and ramp slowly, "
         "agree abort criteria and a kill switch, monitor the SLO dashboards live, use synthetic test "
         "accounts and tag test traffic with a header so it can be excluded."),
        ("Testing prod could cause an outage for custmers, and writes would create test orders and skew "
         "the analytics. But staging at 1/4 size won't extrapolate - bottlenecks differ. So: a quiet time "
         "at night, increase gradually, have a way to abort immediately while watching dashboards, and "
         "mark the test traffic so it's filtered out."),
        "It could take down production for real users, so I'd do it at night when traffic is low.",
        "It's fine, production is bigger so it can handle it; just run the same test there.",
    ),
    "locust-http-vs-fast": (
        ("HttpUser uses the requests library; FastHttpUser uses geventhttpclient, a faster HTTP client. "
         "FastHttpUser uses much less CPU per request, so one machine sends more requests per second, and "
         "its API is almost the same, a drop-in replacement. I switch when the load generator's CPU is "
         "the bottleneck or I need very high RPS, and keep HttpUser when I need requests-specific "
         "features."),
        ("HttpUser wraps python requests, FastHttpUser is built on geventhttpclient. The fast one is "
         "cheaper on cpu, so more load per core, and the client is mostly compatible. When Locust's cpu "
         "is maxed out I switch; otherwise the default choice is HttpUser for its familar full featured "
         "client."),
        ("HttpUser is built on the requests library and FastHttpUser on geventhttpclient; FastHttpUser "
         "uses less CPU, so you can generate more load."),
        "FastHttpUser makes the server respond faster, so latency in the report is lower.",
    ),
    "locust-distributed-explain": (
        ("One Locust process uses one core, so I run several: --processes N on one machine, or one "
         "--master and many --worker nodes started with --master-host, all with the same locustfile, and "
         "--expect-workers so the test waits for them. The master coordinates and aggregates the stats; "
         "the workers run the users. I watch the CPU of every worker (Locust warns above 90%) and check "
         "the achieved RPS against the target."),
        ("Run locust in distributed mode: a master node plus worker nodes on several machines pointing at "
         "the master host, and multiple processes per box so each core is used. The master only collects "
         "statistics and serves the web UI. During the run I monitor the generators' cpu usgae to be sure "
         "they're not saturated."),
        "Use --processes to run one process per core and add more machines as workers.",
        "Increase the number of users and the spawn rate until we reach 30,000 requests per second.",
    ),
    "locust-catch-response": (
        ("Use catch_response=True in a with block: with self.client.post('/predict', json=payload, "
         "catch_response=True) as response. Then check the body: if 'error' is in response.json() or "
         "there is no price, call response.failure('model not loaded'), else response.success()."),
        ("Pass catch_response=True and use the request as a context manager. Inside, parse the JSON body "
         "and if it contains the eror key, mark it as failed with response.failure(...); otherwise mark "
         "as success."),
        "Use catch_response=True and call response.failure() for those requests.",
        "Set the timeout lower so Locust sees them as errors.",
    ),
    "locust-ci-gate": (
        ("Run Locust with --headless -u 200 -r 20 -t 5m and --csv/--html, keeping the reports as "
         "artifacts. In a quitting event listener (events.quitting), read environment.stats.total: if "
         "fail_ratio > 0.01 or get_response_time_percentile(0.95) > 300, set "
         "environment.process_exit_code = 1. A non-zero exit code fails the build. Run it on a dedicated, "
         "stable environment and compare with a baseline."),
        ("In the CI job start locust headless for 5 minutes. Add an event hook at the end of the test "
         "that looks at the failure ratoi and the 95th percentile from the stats and sets the process "
         "exit code to 1 when a threshold is exceeded, so the pipeline step fails. Save the html report "
         "as an artifact, and use the same hardware each time to limit variance."),
        "Run Locust headless in CI and make it return a non-zero exit code when the thresholds fail.",
        "Look at the Locust web UI after each pull request and reject it if the chart looks bad.",
    ),
    "locust-write-shop-user": (
        ("```python\n"
         "import random\n"
         "from locust import HttpUser, task, between\n"
         "\n"
         "class ShopUser(HttpUser):\n"
         "    wait_time = between(1, 5)\n"
         "\n"
         "    def on_start(self):\n"
         "        self.client.post(\"/login\", json={\"user\": \"u1\", \"password\": \"pw\"})\n"
         "\n"
         "    @task(3)\n"
         "    def browse(self):\n"
         "        pid = random.randint(1, 5000)\n"
         "        self.client.get(f\"/products/{pid}\", name=\"/products/[id]\")\n"
         "\n"
         "    @task(1)\n"
         "    def cart(self):\n"
         "        self.client.get(\"/cart\")\n"
         "```"),
        ("class Shopper(HttpUser) with wait_time = between(1,5). In on_start I POST to /login once. Then "
         "two tasks: browsing gets wieght 3 (@task(3)) and calls /products/<id> with "
         "name='/products/[id]' so all product pages group into one row; viewing the cart is @task(1)."),
        ("A class that extends HttpUser with wait_time = between(1, 5), @task(3) for browsing products "
         "and @task(1) for the cart."),
        "Use a for loop that calls requests.get on the products page 3 times and the cart page once.",
    ),
    "lat-fanout-explain": (
        ("The page waits for the slowest of the 50 calls, so the tails compound: all 50 are under their "
         "P99 with probability 0.99^50, about 60%, so about 40% of page loads hit at least one slow call. "
         "Fixes: tighter per-service targets on the 99.9th percentile, hedged requests to another "
         "replica, deadlines with partial results, and fewer calls by batching or caching."),
        ("With fan-out the page is only as fast as its slowest dependancy. The chance at least one of 50 "
         "calls is slow is 1 - 0.99^50, roughly 40 percent. I'd send a backup request to another replica "
         "when a call is slow (hedging), set a timeout and degrade gracefully, and reduce the number of "
         "calls."),
        ("The page waits for the slowest call, and with 50 calls the chance that at least one is slow is "
         "1 - 0.99^50, about 40%."),
        "The network between the services is slow, so we should buy faster servers.",
    ),
    "lat-coordinated-omission-explain": (
        ("Coordinated omission is when the load generator waits for each response before sending the "
         "next, so during a stall it stops sending and the requests real users would have sent are never "
         "measured. The tail is understated: P99 looks far too good. Avoid it by driving a constant "
         "arrival rate on a fixed schedule, measuring latency from the intended send time or correcting "
         "with HdrHistogram, and making sure the load generator is not saturated."),
        ("It's when the tester backs off while the server is slow: it waits for the response, so during a "
         "pause it sends nothing and the slow period is under-sampled, so results look better than "
         "reality. Use an open modle with a fixed rate, like wrk2, and time each request from when it "
         "should have been sent."),
        ("The load tester waits for the response before sending the next request, so when the server "
         "stalls it stops sending, and the P99 looks better than it really is."),
        "It is when the load test forgets to count some errors because of a bug in the tool.",
    ),
    "lat-aggregate-percentiles": (
        ("You can't average the per-server P99s: percentiles are not additive, and servers carry "
         "different request volumes. Instead keep a histogram per server and minute with the same bucket "
         "boundaries, sum the bucket counts across servers and the hour, and read the P99 from the merged "
         "histogram (histogram_quantile over sum by le). Or merge raw samples or sketches like "
         "HdrHistogram or t-digest."),
        ("Averaging percentiles is mathematically wrong, since the busy servers have more requests. Merge "
         "the histogrmas instead - add up the buckets over all servers and all 60 minutes - then compute "
         "the 99th percentile from that; t-digest sketches also merge."),
        "Don't average the P99s; busier servers carry more requests, so the average is meaningless.",
        "Take the P99 of each server, add them up and divide by the number of servers.",
    ),
    "lat-measure-p99-right": (
        ("Collect enough samples - a P99 from 1,000 requests rests on its 10 slowest, so I want tens of "
         "thousands in steady state, excluding the ramp-up and warm-up. Record exact latencies in an "
         "HdrHistogram, per endpoint. Avoid coordinated omission with a constant arrival rate and check "
         "the load generator is not saturated. Compare with the server-side metrics and repeat the run."),
        ("Make sure the sampel size is big enough for the tail and only measure the steady state after "
         "the ramp. Use high resolution histograms per endpoint, not averages. Watch out for coordinated "
         "omission and for the generator cpu. Cross-check against server metrics and run it several times."),
        "I would collect enough samples and only measure the steady state after warm up.",
        "I would take the average response time and multiply it by 1.5 to estimate the P99.",
    ),
}


@pytest.mark.parametrize("slug", slugs("rubric"))
def test_rubric_grades_four_answers_as_an_interviewer_would(slug):
    """A strong answer is correct (>= 0.8), a paraphrase with typos scores >= 0.7, a half answer is partial
    (0.3 to 0.8) and a wrong or vague answer scores below 0.35."""
    assert slug in ANSWERS, f"{slug} has no written answers in ANSWERS"
    spec = spec_of(QUESTIONS[slug])
    strong, paraphrase, partial, wrong = (grade(spec, text) for text in ANSWERS[slug])
    assert strong.verdict == "correct" and strong.score >= 0.8, strong.feedback
    assert paraphrase.score >= 0.7, paraphrase.feedback
    assert 0.3 <= partial.score < 0.8 and partial.verdict == "partial", partial.feedback
    assert wrong.score < 0.35, wrong.feedback


def test_every_rubric_question_has_four_answers():
    """A rubric question added to these files without four written answers fails the suite."""
    assert sorted(ANSWERS) == slugs("rubric")
    assert all(len(answers) == 4 for answers in ANSWERS.values())


@pytest.mark.parametrize("slug", slugs("rubric"))
def test_rubric_concepts_have_several_phrasings_and_questions_have_follow_ups(slug):
    """Each concept accepts at least 4 ways of saying it, and each rubric question gives interviewers
    follow-ups."""
    question = QUESTIONS[slug]
    for concept in question["concepts"]:
        assert readings(concept) >= 4, f"{slug}.{concept['id']}"
    assert question.get("follow_ups"), slug


def test_negated_concept_earns_no_credit():
    """Saying not to check the response body does not earn the concept of checking it."""
    spec = spec_of(QUESTIONS["locust-catch-response"])
    result = grade(spec, "Don't use catch_response; just check the status code.")
    assert "catch-response" not in {c["id"] for c in result.concepts_found}


def test_calling_locust_open_costs_points():
    """Claiming that Locust follows an open model is a misconception with a penalty."""
    spec = spec_of(QUESTIONS["lt-open-vs-closed-explain"])
    result = grade(spec, "Locust is an open model: requests arrive at a fixed rate regardless of response time.")
    assert [m["id"] for m in result.misconceptions] == ["locust-open"]
    assert result.score < 0.35


def test_stall_question_does_not_accept_counting_every_frozen_request():
    """Counting all 10,000 requests of the freeze as slower than 1 s (50%) misses the last second, in which
    requests waited 1 s or less: it earns half credit, not full credit."""
    spec = spec_of(QUESTIONS["lat-co-stall"])
    naive = 10_000 / 20_000 * 100
    assert _stall_share_over_1s() < naive
    assert grade(spec, format(naive)).verdict == "partial"


# ---- choice: exactly the intended keys ----

CORRECT_CHOICES = {
    "lesson-breaking-point": {"d"},
    "lesson-locust-basics": {"b", "c", "e"},
    "lesson-mluser-read": {"c"},
    "lesson-locust-headless-command": {"a"},
    "lesson-cpu-vs-io-choice": {"b"},
    "lt-soak-test": {"b"},
    "lt-spike-test": {"c"},
    "lt-closed-model-behaviour": {"b"},
    "lt-think-time-zero": {"b", "d"},
    "lt-ramp-up-why": {"b", "c", "e"},
    "locust-fasthttpuser": {"d"},
    "locust-distributed-facts": {"a", "c", "d"},
    "locust-wait-time-functions": {"c"},
    "locust-name-grouping": {"b"},
    "lat-average-hides": {"d"},
    "lat-averaging-percentiles": {"c"},
    "lat-coordinated-omission": {"b"},
    "lat-histogram-buckets": {"a"},
    "lat-fanout-median": {"c"},
    "lat-locust-rounding": {"d"},
}


@pytest.mark.parametrize("slug", slugs("single", "multiple"))
def test_choice_keys_are_exactly_the_intended_ones(slug):
    """The choices marked correct are exactly those intended; every choice has text; a single-answer
    question has one correct choice, and picking the intended keys grades as correct."""
    assert slug in CORRECT_CHOICES, f"{slug} has no intended keys in CORRECT_CHOICES"
    question = QUESTIONS[slug]
    choices = question["choices"]
    assert all(isinstance(c.get("text"), str) and c["text"].strip() for c in choices)
    marked = {c["id"] for c in choices if c.get("correct") is True}
    assert marked == CORRECT_CHOICES[slug]
    if question["type"] == "single":
        assert len(marked) == 1
    spec = spec_of(question)
    assert grade(spec, sorted(marked) if question["type"] == "multiple" else next(iter(marked))).verdict == "correct"
    wrong = next(c["id"] for c in choices if not c.get("correct"))
    assert grade(spec, [wrong] if question["type"] == "multiple" else wrong).verdict != "correct"


def test_every_choice_question_has_intended_keys():
    """A choice question added to these files without intended keys fails the suite."""
    assert sorted(CORRECT_CHOICES) == slugs("single", "multiple")


# ---- the bank's shape: topics, types, lesson objectives, quizzes ----

TOPIC_IDS = ("load-testing", "locust", "latency")


@pytest.mark.parametrize("topic", TOPIC_IDS)
def test_each_topic_has_enough_of_each_kind(topic):
    """Each topic has at least 5 choice, 5 numeric or calculated and 5 rubric questions."""
    kinds = [q["type"] for q in QUESTIONS.values() if q["topic"] == topic]
    assert sum(k in ("single", "multiple") for k in kinds) >= 5
    assert sum(k in ("numeric", "calculated") for k in kinds) >= 5
    assert sum(k == "rubric" for k in kinds) >= 5


def test_every_question_has_difficulty_competency_tags_and_explanation():
    """Every question states difficulty, competency and tags, and teaches with a real explanation."""
    for slug, question in QUESTIONS.items():
        assert question.get("difficulty") in ("easy", "medium", "hard"), slug
        assert question.get("competency") in ("measurement", "diagnosis", "scaling", "tradeoffs",
                                              "communication"), slug
        assert question.get("tags"), slug
        assert len(question["explanation"].split()) >= 40, slug


def test_numeric_prompts_state_their_tolerance():
    """A numeric or calculated prompt tells the learner how close an answer must be."""
    for slug in slugs("numeric", "calculated"):
        prompt = QUESTIONS[slug]["prompt"]
        assert "within" in prompt or "whole number" in prompt or "exact value" in prompt, slug


def test_each_lesson_objective_has_at_least_two_questions():
    """Every lesson question names one objective, and each objective has at least two questions."""
    lesson = [q for q in QUESTIONS.values() if "lesson" in q.get("tags", [])]
    for question in lesson:
        assert sum(tag in OBJECTIVES for tag in question["tags"]) == 1, question["id"]
    for objective in OBJECTIVES:
        assert sum(objective in q["tags"] for q in lesson) >= 2, objective


def test_lesson_quiz_mirrors_the_lesson():
    """The lesson quiz is a practice quiz of 8-12 lesson questions that includes the lesson's own
    interview questions, the P99-at-a-million calculation and the MLUser locustfile questions."""
    quiz = QUIZZES["load-testing-lesson"]
    assert quiz["id"] == "load-testing-lesson"
    assert quiz["title"] == "Lesson: load testing with Locust"
    assert quiz["mode"] == "practice"
    assert 8 <= len(quiz["questions"]) <= 12
    for slug in ("what-is-p99", "debug-high-latency", "lesson-p99-daily-slow", "lesson-mluser-read",
                 "lesson-mluser-fix"):
        assert slug in quiz["questions"]
    assert all("lesson" in QUESTIONS[slug]["tags"] for slug in quiz["questions"])
    assert quiz["questions"].index("debug-high-latency") < quiz["questions"].index("what-is-p99")


def test_quizzes_use_only_questions_from_these_files():
    """Every quiz here lists existing questions from these files, each once (the mixed warm-up is checked
    in test_bank.py)."""
    for name, quiz in QUIZZES.items():
        assert quiz["questions"], name
        assert len(set(quiz["questions"])) == len(quiz["questions"]), name
        assert set(quiz["questions"]) <= set(QUESTIONS), name
    for topic in TOPIC_IDS:
        assert all(QUESTIONS[s]["topic"] == topic for s in QUIZZES[topic]["questions"]
                   if not s.startswith(("lesson-", "what-is-"))), topic

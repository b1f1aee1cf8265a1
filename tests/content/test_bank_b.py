"""The throughput, queueing, capacity and caching question bank: every answer key recomputed by hand from
the question's own numbers, every rubric graded against written answers, every choice key as intended.

The files are read with yaml.safe_load and graded with the pure engine, so no database is needed.
"""

import math

import pytest
from bank_files import load_yaml, readings

from quizsite.questions.grading import grade, sample_variables
from quizsite.questions.loader import spec_of

TOPICS = ("throughput", "queueing", "capacity", "caching")
SEEDS = ("learner-1", "learner-2", 3, 4, "5")


QUESTIONS = {q["id"]: q for name in TOPICS for q in load_yaml("questions", name)["questions"]}
QUIZZES = {name: load_yaml("quizzes", name) for name in TOPICS}


def slugs(*types: str) -> list[str]:
    return sorted(slug for slug, q in QUESTIONS.items() if q["type"] in types)


# Numeric answers, recomputed by hand from the numbers in each prompt.
RECOMPUTE = {
    # 20 connections, each held 25 ms: max throughput = L / W.
    "pool-throughput-ceiling": lambda: 20 / 0.025,
    # 450 in flight at 3,000 req/s: W = L / lambda, in ms.
    "latency-from-in-flight": lambda: 450 / 3000 * 1000,
    # M/M/1 at 80% with W = 50 ms gives S = 10 ms; traffic +15% gives rho = 0.92.
    "traffic-growth-latency": lambda: (50 * (1 - 0.8)) / (1 - 0.8 * 1.15),
    # mu = 50 req/s, lambda = 40 req/s: Wq = W - S = 1/(mu - lambda) - 1/mu, in ms.
    "mm1-wait-in-queue": lambda: (1 / (50 - 40) - 1 / 50) * 1000,
    # 12 needed with any one of 3 zones down: 6 per zone.
    "zone-failure-instances": lambda: 3 * (12 / (3 - 1)),
    # Miss ratio 10% -> 5%: the drop in database load, in percent.
    "hit-ratio-90-to-95": lambda: (0.10 - 0.05) / 0.10 * 100,
    # 8,000 req/s at 95% hits = 400 reads/s; a cold cache sends all 8,000.
    "cold-cache-db-load": lambda: 8000 / (8000 * (1 - 0.95)),
}


def _users_for(target: float, response_ms: float) -> float:
    cycle_s = (1 + 2) / 2 + response_ms / 1000  # between(1, 2) waits 1.5 s on average
    return math.ceil(target * cycle_s)


def _instances(daily_m: float, peak_factor: float, per_instance: float) -> float:
    average_rps = daily_m * 1e6 / (24 * 3600)
    peak_rps = average_rps * peak_factor
    usable_per_instance = per_instance * 70 / 100
    return math.ceil(peak_rps / usable_per_instance) + 1


# Calculated answers, re-implemented independently of each question's formula.
CALC = {
    "littles-law-in-flight": lambda v: v["rps"] * (v["latency_ms"] / 1000),
    # Saturated closed loop: X x Z users are thinking, the rest are in the server, R = in-server / X.
    "closed-model-rps": lambda v: (v["users"] - v["max_rps"] * v["wait_s"]) / v["max_rps"],
    "users-for-target-rps": lambda v: _users_for(v["target_rps"], v["response_ms"]),
    "mm1-response-time": lambda v: v["service_ms"] * (1 / (1 - v["util_pct"] / 100)),
    "mm1-number-in-system": lambda v: v["util_pct"] / (100 - v["util_pct"]),
    # W = 1 / (mu - lambda) <= T  gives  lambda <= mu - 1 / T.
    "mm1-max-arrival-rate": lambda v: 1000 / v["service_ms"] - 1000 / v["target_ms"],
    "error-budget-minutes": lambda v: 43_200 * (100 - v["slo_pct"]) / 100,
    "burn-rate-hours-left": lambda v: 30 * 24 / ((v["err_pct"] / 100) / 0.001),
    "instances-for-launch": lambda v: _instances(v["daily_m"], v["peak_factor"], v["per_instance"]),
    "cache-effective-latency": lambda v: (v["hit_pct"] * v["hit_ms"] + (100 - v["hit_pct"]) * v["miss_ms"]) / 100,
    "cache-backend-load": lambda v: v["rps"] - v["rps"] * v["hit_pct"] / 100,
    "required-hit-ratio": lambda v: (v["rps"] - v["db_capacity"]) / v["rps"] * 100,
}

# The choices that must be correct, per choice question.
CHOICE_KEYS = {
    "throughput-plateau-ramp": {"a"},
    "littles-law-statements": {"b", "d", "e"},
    "saturation-signals": {"a", "c", "d"},
    "constant-throughput-users": {"c"},
    "utilisation-hockey-stick": {"a"},
    "pooled-vs-separate-queues": {"b"},
    "headroom-reasons": {"a", "c", "e"},
    "service-time-variability": {"c"},
    "sli-slo-sla": {"a"},
    "well-formed-slo": {"c"},
    "burn-rate-meaning": {"b"},
    "error-budget-mostly-spent": {"b", "c", "e"},
    "cache-write-patterns": {"a", "c", "d"},
    "hot-key-stampede": {"b"},
    "invalidate-order": {"c"},
    "locust-same-payload-cache": {"a"},
}

# For every rubric: a strong answer, a strong answer in other words (with typos), a partial answer
# covering about half the concepts, and a wrong or vague one.
ANSWERS: dict[str, dict[str, str]] = {
    "explain-littles-law": {
        "strong": (
            "Little's law: L = λW. The average number of requests in the system equals the arrival rate "
            "times the average time each spends there, so requests in flight = throughput times latency. It "
            "holds for long-run averages of any stable system, whatever the distribution. I use it for pool "
            "size: 2,000 req/s at 150 ms mean latency means 300 concurrent requests, so I need about 300 "
            "workers or connections plus headroom. And if latency doubles at the same RPS, twice as many "
            "requests are in flight and the pools fill up."
        ),
        "paraphrase": (
            "It says concurrency equals throughput multipled by latency - rps times latency gives how many "
            "requests are in flight on average. Works for any system in steady state, you use averages. "
            "Practical use is capacity planing: 1000 req/s at 0.2 s means 200 in flight, which tells me how "
            "many workers I need. If the latency goes up the number in flight goes up too and you can run out "
            "of connections."
        ),
        "partial": (
            "Little's law is L = lambda W. It tells you how many requests are in flight at once for a given "
            "traffic level."
        ),
        "wrong": (
            "Little's law says that small services are easier to scale than big ones, so you should split "
            "the monolith into microservices."
        ),
    },
    "throughput-plateau-interview": {
        "strong": (
            "The service is saturated: 1,200 req/s is its maximum throughput. Extra users can't be served any "
            "faster, so their requests queue, and by Little's law more requests in the system at the same "
            "throughput means higher latency. First I'd check the load generator isn't the limit by looking at "
            "Locust CPU. Then find which resource is the bottleneck: CPU, the database and its connection "
            "pool, locks, downstream calls, using the USE method and profiling under load. Then scale out or "
            "optimise it, and record the highest RPS that still meets the SLO as usable capacity."
        ),
        "paraphrase": (
            "We have hit capacity, the bottlenek is saturated so throughput can't go past 1200. The additional "
            "requests are waiting in line, so every request waits longer. I would make sure the test machine "
            "isn't the problem, then look at which resource is maxed out - cpu, database, a lock - with a "
            "profiler and flame graph. Then add instances or optimize the hot path, and only count the load "
            "that stays within the SLO."
        ),
        "partial": (
            "It looks saturated - that's the max throughput of the service. I would profile it to find the "
            "slow part."
        ),
        "wrong": (
            "This is normal behaviour for a load test and nothing to worry about. I would report the "
            "results to the team."
        ),
    },
    "users-are-not-rps": {
        "strong": (
            "A Locust user is a loop, not a request per second: it sends a request, waits for the response, "
            "then waits its wait_time before the next one. So each user sends about 1 divided by (wait time "
            "plus response time) requests per second. With between(1, 2), 1.5 s average think time and 100 ms "
            "responses, 1,000 users give roughly 625 req/s. It's also a closed loop: if the server slows, the "
            "users send less. To test 1,000 req/s I'd use constant_throughput so each user runs a fixed number "
            "of tasks per second, or compute the users needed, then check the achieved RPS in Locust stats."
        ),
        "paraphrase": (
            "Users aren't requests. Each simulated user has think time between requests, so the rate is users "
            "divided by the wait plus response time - with 1.5 s wait that's maybe 600-ish req/s, fewer "
            "requests per second than users. Its a closed model, when the server slows down the load backs "
            "off. I'd set wait_time = constant_throughput(1) on each user to hit the target, and confirm the "
            "actual rps in the results and that generator cpu is fine."
        ),
        "partial": (
            "Users wait between requests because of the wait time, so each one sends one request per wait "
            "time plus response time, and 1,000 users don't send 1,000 requests each second."
        ),
        "wrong": (
            "That's right as long as the test ran for long enough, maybe an hour. Each user is one request."
        ),
    },
    "slow-dependency-worker-pool": {
        "strong": (
            "By Little's law, today 500 req/s at 40 ms needs 20 in flight. With the new call latency is about "
            "240 ms, so 500 req/s would need 120 requests in flight. We only have 40 threads, so throughput is "
            "capped at 40 / 0.24, about 167 req/s, and the rest queue and time out. The threads are waiting "
            "on I/O, so CPU stays low. The fix is more concurrency: make the call async (non blocking), or "
            "more threads or workers. I'd also cache the downstream results and set a timeout."
        ),
        "paraphrase": (
            "Using Littles law the concurrency needed goes from 20 to 500 * 0.24 = 120 concurrent. Fourty "
            "threads can't do that: the pool is exhausted, roughly 167 rps max, the rest of the requests queue. "
            "It's io bound, the cpu is idle while threads wait. I would switch to asyncio so one thread can "
            "wait on many calls, or increase the pool, and put a timeout plus a circuit breaker on the "
            "downstream."
        ),
        "partial": (
            "Latency goes up to 240 ms, so with Little's law you need 120 requests in flight, and the threads "
            "are exhausted."
        ),
        "wrong": (
            "Throughput stays at 500 req/s because the CPU cost didn't change. Latency goes up a bit. I would "
            "buy a faster CPU to compensate."
        ),
    },
    "why-latency-explodes": {
        "strong": (
            "Requests arrive at random, in bursts, and service times vary. When a burst arrives faster than the "
            "server works, a queue builds, and it can only drain during idle time. Near 100% there is almost no "
            "idle time, so queues grow and last. In the M/M/1 model W = S / (1 - ρ): 2x the service time at "
            "50%, 10x at 90%, 100x at 99%. It's a hockey stick, non linear. So we keep headroom and run at "
            "around 60-70% target utilization."
        ),
        "paraphrase": (
            "Traffic is bursty, it doesn't arrive evenly, so sometimes several requests come at once. At high "
            "utilisation the server has no spare capacity to catch up, so the queue grows. The math is one over "
            "one minus rho - at 90 percent busy you wait ten times the service time, so the curve is nonlinear "
            "with a knee. That's why you leave headroom."
        ),
        "partial": (
            "Because requests come in random bursts and queues build up when the server is busy."
        ),
        "wrong": (
            "Because the CPU gets hot and runs slower, and the garbage collector kicks in more often."
        ),
    },
    "headroom-at-95-percent": {
        "strong": (
            "Latency doesn't grow linearly with utilisation. Queueing delay goes like 1/(1-rho): at 60% a "
            "request spends 2.5 service times in the system, at 95% about 20, and the P99 grows the same way, "
            "so we'd break the latency SLO at peak. Headroom also absorbs traffic spikes, an instance failure "
            "(N+1) and deploys, and covers the minutes autoscaling needs to boot new capacity. It's a cost "
            "trade-off, so I'd load test to find the knee and set the target utilization from that, maybe 70%."
        ),
        "paraphrase": (
            "At 95% the queuing delay explodes - it's non-linear, roughly 20 times the service time - and our "
            "p99 would blow through the SLO. We also need room for bursts and for when we lose an instance, "
            "plus the autoscaler takes minutes to add nodes. I'd suggest we measure with a load test where "
            "the latency curve bends and pick the highest target that's safe, it's a tradeoff between cost "
            "and latency."
        ),
        "partial": (
            "Because latency explodes near 100%, queueing is non-linear, and our P99 would miss the SLO."
        ),
        "wrong": (
            "Sure, running at 95% is more efficient. Servers are designed to run at full load, so we can cut "
            "the fleet."
        ),
    },
    "single-queue-pooling": {
        "strong": (
            "With separate queues a request can be stuck behind a slow request while another worker is idle; "
            "work can't move to free capacity. A shared queue never leaves a worker idle while requests wait, "
            "so at the same utilization the mean wait is much lower. Bigger pools can also run at higher "
            "utilization for the same latency, statistical multiplexing, as M/M/c shows. In practice: load "
            "balancers with least connections behave like a shared queue, unlike random routing or round "
            "robin. Also a worker pool pulling from one job queue, or the single line at a supermarket."
        ),
        "paraphrase": (
            "Separate lines mean one worker sits idle while another has a backlog - head of line blocking. "
            "Pooling gives less waiting at the same utilisation; larger pools get economies of scale. You see "
            "it with the load balancer: least outstanding requests or power of two choices beats round robin. "
            "And Celery workers all taking jobs from one task queue."
        ),
        "partial": (
            "Because with one queue per worker, a request gets stuck behind a slow request while another "
            "worker is idle. A shared queue means less waiting at the same utilization."
        ),
        "wrong": (
            "Separate queues are better because each queue is shorter, so it's the same or faster."
        ),
    },
    "p99-cliff-at-75-cpu": {
        "strong": (
            "That's queueing near saturation. Some resource is close to 100% even though average CPU is 75%: "
            "the average hides one saturated core or a single threaded stage like the GIL, a full connection "
            "pool, or a lock. I'd measure saturation directly: queue depth, pool wait time, per-core CPU and "
            "the run queue, the USE method, and profile under load. Then fix the bottleneck or scale out to get "
            "headroom back, and add load shedding with a bounded queue so overload gives fast 503s."
        ),
        "paraphrase": (
            "Requests are queuing because something is saturated - the 75% average hides it, maybe a single "
            "core pinned by the gil or lock contention. I'd look at queue length and the connection pool wait, "
            "and grab a flame graph. Then add more instances, and put a concurrency limit in front so excess "
            "requests are rejected rather than waiting."
        ),
        "partial": (
            "It's queueing near saturation. I'd add capacity by scaling out."
        ),
        "wrong": (
            "It's probably network noise in the test environment. CPU is at 75% so the server is fine; I'd "
            "rerun the test."
        ),
    },
    "explain-slo-error-budget": {
        "strong": (
            "An SLI is a service level indicator, something we measure about user experience, like the "
            "percentage of checkout requests that succeed in under 300 ms. An SLO is the target for it over a "
            "window: 99.9% over 30 days. The error budget is 1 - SLO: 0.1% of requests may fail, about 43 "
            "minutes of downtime in 30 days. You should care because it balances shipping features against "
            "reliability work: while budget is left we release quickly, when it's spent we freeze risky "
            "deploys. An SLA is different: a contract with customers with penalties, looser than the SLO."
        ),
        "paraphrase": (
            "The indicator is what we measure - e.g. success rate of checkout. The objective is the target, "
            "say 99.9 percent over a rolling window of 28 days. The eror budget is the allowed failures, 0.1%. "
            "It lets product and engineering balance feature velocity and reliabilty: budget left means ship, "
            "budget gone means slow down releases. The service level agreement is the contract with refunds."
        ),
        "partial": (
            "The SLO is our target, like 99.9%, and the error budget is how much we are allowed to fail."
        ),
        "wrong": (
            "SLOs are the servers' hardware specs and the error budget is the money set aside for fixing bugs. "
            "We aim for zero errors."
        ),
    },
    "estimate-instances-walkthrough": {
        "strong": (
            "2M users at about 20 requests each is 40M requests per day; divide by 86,400 for about 460 req/s "
            "on average. Apply a peak factor of 3x for the peak hour, about 1,400 req/s, plus a growth margin. "
            "Then load test a single instance to find the highest RPS where P99 meets the SLO, say 200 req/s. "
            "Keep headroom with a 70% target utilization, so 140 req/s each: 10 instances, plus N+1 "
            "redundancy for a failure. Finally check the database and other dependencies can take the peak."
        ),
        "paraphrase": (
            "Convert to average rps first: requests per user per day times users, divided by the seconds in a "
            "day. Multiply by the peak to average ratio, maybe 3x, for spikes. Benchmark one instance to see "
            "what it handles while meeting the slo, and plan to use only 70% of that as a safety margin. "
            "Divide, round up, add a spare instance. Don't forget the DB might be the real bottleneck."
        ),
        "partial": (
            "Work out requests per day divided by 86400 to get average rps, multiply by a peak factor, then "
            "divide by what one server can do."
        ),
        "wrong": (
            "Start with 10 servers and see how it goes after launch; the cloud can always add more later."
        ),
    },
    "slo-burn-rate-alerting": {
        "strong": (
            "I'd alert on the error budget burn rate: observed error rate divided by the allowed 0.1%. Paging on "
            "every error causes alert fatigue, since some errors are normal and within budget. I'd use "
            "multiple windows: page if the burn rate over the last hour is above 14.4 (2% of the budget) or "
            "over 6 hours above 6, and open a ticket for a slow burn over 3 days. Alerts are on user-facing "
            "symptoms, not causes."
        ),
        "paraphrase": (
            "Alert on how fast the budget is burning rather than individual errors - too many alerts and "
            "people ignore the pager. Use a fast burn alert on a short window (like 14.4x over an hour) which "
            "wakes someone up, and a slow burn one over days which creates a ticket. And alert on customer "
            "impact not on causes like CPU."
        ),
        "partial": (
            "Alert on the burn rate of the error budget, with a fast burn alert and a slow burn alert."
        ),
        "wrong": (
            "I'd set an alert on CPU above 80% and on disk space, and send every exception to the team "
            "channel."
        ),
    },
    "load-test-per-instance-capacity": {
        "strong": (
            "Test a single instance in a production-like environment with realistic data. The locustfile "
            "should match the real traffic mix: weighted tasks and random payloads. Ramp the load in steps "
            "with a LoadTestShape, recording RPS, P99 and errors at each step. The number for the plan is the "
            "highest RPS where P99 stays within the SLO, not the plateau. Watch the load generator's CPU or "
            "run Locust distributed with --processes, and repeat the test or soak it."
        ),
        "paraphrase": (
            "Use one instance like production, same instance type. Write tasks with weights that mirror real "
            "traffic and varied payloads. Increase the users step by step and hold each step a few minutes. "
            "I'd put in the plan the throughput where p99 is still under the latency slo - not the maximum. "
            "Also make sure locust cpu isn't maxed out."
        ),
        "partial": (
            "Ramp up the users in steps with a LoadTestShape until latency goes above the SLO; the RPS just "
            "before that is the capacity, meets the SLO."
        ),
        "wrong": (
            "Run Locust with as many users as possible and take the highest number you see."
        ),
    },
    "cache-stampede-interview": {
        "strong": (
            "A cache stampede, or dogpile, is when a hot key expires (its TTL runs out) or the cache is cold, "
            "and many requests miss at the same moment and all hit the database to recompute the same value. "
            "To prevent it: request coalescing or single flight, so only one request recomputes while the "
            "others wait, often with a lock. Serve stale data while revalidating in the background, or refresh "
            "early. Add jitter to TTLs and warm the cache before traffic."
        ),
        "paraphrase": (
            "It's the thundering herd: a popular key expirs and thousands of concurrent misses hammer the DB at "
            "once. Fix: coalesce the misses with a mutex so one request recomputes; keep serving the stale "
            "value while a background refresh runs; randomise the TTL so keys don't expire together."
        ),
        "partial": (
            "It's when a hot key expires and all the requests hit the database at once. You can add a lock."
        ),
        "wrong": (
            "A stampede is when the cache runs out of memory. You fix it by adding a bigger Redis instance "
            "and a shorter TTL."
        ),
    },
    "caching-patterns-interview": {
        "strong": (
            "Cache-aside, or lazy loading: the app reads the cache and on a miss reads the database and "
            "populates the cache. It's the default for read-heavy data, and stale data is bounded by a TTL or "
            "invalidation. Write-through: every write updates the cache and the database synchronously, so "
            "reads are fresh but writes are slower; good when consistency matters. Write-back or write-behind: "
            "writes go to the cache and are flushed to the database asynchronously, fast but you can lose data "
            "if the cache dies, so use it for counters and metrics, not payments."
        ),
        "paraphrase": (
            "Cache aside means lazy load: on a miss you fill the cache from the db. Good for read heavy "
            "workloads. Write thru means writing to both the cache and the database together - always fresh, "
            "slower writes. Write behind means you acknowledge once it's in the cache and flush later in "
            "batches - fast, but risk of data loss, fine for view counters. TTL to limit staleness."
        ),
        "partial": (
            "Cache-aside: on a miss the app reads the DB and populates the cache. Write-through: writes go to "
            "cache and database synchronously."
        ),
        "wrong": (
            "They are all basically the same; you just pick whichever Redis supports by default."
        ),
    },
    "cache-invalidation-interview": {
        "strong": (
            "First decide how stale each kind of data may be. Then use a TTL so every entry has a max age; a "
            "shorter TTL is fresher but costs hit ratio. On writes, update the database then delete the key so "
            "the next read reloads it. With many writers, drive invalidation from change data capture, e.g. "
            "Debezium on the binlog, or events. Race conditions remain, so use versioned keys, and for data "
            "that must be exact, read from the database."
        ),
        "paraphrase": (
            "It depends on the data - how much staleness can we tolerate? Give everything a time to live as a "
            "safety net. Invalidate on write: after the DB update, delete from the cache. For many services "
            "writing, listen to CDC events through Kafka. There's still a race between a reader and a writer, "
            "so include a version number in the key."
        ),
        "partial": (
            "Set a TTL on every key, and delete the key when the data changes."
        ),
        "wrong": (
            "Restart the cache every night so it is always empty and consistent."
        ),
    },
    "should-we-cache-predictions": {
        "strong": (
            "A cache only helps if inputs repeat, so I'd estimate the hit ratio from production logs first. "
            "Then the effective latency is h x hit + (1 - h) x 400 ms and the model load falls to 1 - h of "
            "today, but the tail stays at 400 ms unless the hit ratio is above the percentile. The cache key "
            "must include the model version, and size it for the cardinality with LRU eviction and a TTL. In "
            "the load test, use realistic varied inputs sampled from production, and test cold cache and warm "
            "cache."
        ),
        "paraphrase": (
            "Check how often the same inputs come back - the hit rate decides everything. With the weighted "
            "average you can estimate effective latency, and the backend load drops by the hit ratio. P99 is "
            "still a miss. Put the model version in the cache key so a new model doesn't serve old "
            "predictions, with LRU eviction. Load test with random inputs replayed from real traffic, not the "
            "same payload, starting from a cold cache."
        ),
        "partial": (
            "It only helps if the inputs repeat, so look at the hit ratio. And put the model version in the key."
        ),
        "wrong": (
            "Caching always helps, so just add Redis in front of the model and the latency will go down."
        ),
    },
}


def test_bank_has_the_agreed_shape():
    """Each topic has 12-13 questions, with at least 4 choice, 4 numeric or calculated and 4 rubric ones."""
    for topic in TOPICS:
        questions = [q for q in QUESTIONS.values() if q["topic"] == topic]
        kinds = [q["type"] for q in questions]
        assert 12 <= len(questions) <= 13, topic
        assert sum(k in ("single", "multiple") for k in kinds) >= 4, topic
        assert sum(k in ("numeric", "calculated") for k in kinds) >= 4, topic
        assert sum(k == "rubric" for k in kinds) >= 4, topic


def test_every_question_has_difficulty_tags_and_explanation():
    """Every question states its difficulty, competency, tags and an explanation; free-text ones have follow-ups."""
    for slug, q in QUESTIONS.items():
        assert q.get("difficulty") in ("easy", "medium", "hard"), slug
        assert q.get("competency") in ("measurement", "diagnosis", "scaling", "tradeoffs", "communication"), slug
        assert q.get("tags"), slug
        assert len(q["explanation"].split()) >= 40, slug
        if q["type"] == "rubric":
            assert q.get("follow_ups"), slug


def test_numeric_prompts_state_their_tolerance():
    """Every numeric and calculated prompt tells the learner how close an answer must be."""
    for slug in slugs("numeric", "calculated"):
        prompt = QUESTIONS[slug]["prompt"]
        assert "to within" in prompt or "within 2% are accepted" in prompt or "exact whole number" in prompt, slug


def test_every_numeric_question_is_recomputed():
    """A numeric question without a hand-written recomputation fails the bank."""
    assert set(slugs("numeric")) == set(RECOMPUTE)


@pytest.mark.parametrize("slug", sorted(RECOMPUTE))
def test_numeric_answer_matches_the_prompt(slug):
    """The stored answer equals the value worked out by hand from the prompt, within its tolerance."""
    q = QUESTIONS[slug]
    tolerance = q.get("tolerance", {"relative": 0.01})
    band = max(tolerance.get("relative", 0) * abs(q["answer"]), tolerance.get("absolute", 0))
    assert abs(RECOMPUTE[slug]() - q["answer"]) <= band
    assert grade(spec_of(q), format(RECOMPUTE[slug]())).verdict == "correct"


def test_every_calculated_question_is_reimplemented():
    """A calculated question without an independent re-implementation fails the bank."""
    assert set(slugs("calculated")) == set(CALC)


@pytest.mark.parametrize("slug", sorted(CALC))
@pytest.mark.parametrize("seed", SEEDS)
def test_calculated_answer_matches_an_independent_implementation(slug, seed):
    """For each seeded variant the engine accepts the independently computed value and rejects one 30% off."""
    spec = spec_of(QUESTIONS[slug])
    values = sample_variables(spec, seed)
    expected = CALC[slug](values)
    assert grade(spec, format(expected), values).verdict == "correct"
    assert grade(spec, format(expected * 1.3), values).verdict != "correct"
    assert grade(spec, format(expected * 0.7), values).verdict != "correct"


@pytest.mark.parametrize("slug", slugs("calculated"))
def test_calculated_answers_stay_sensible_across_variants(slug):
    """Every variant gives a positive, finite answer (no division by zero or negative rates)."""
    spec = spec_of(QUESTIONS[slug])
    for seed in range(40):
        value = CALC[slug](sample_variables(spec, seed))
        assert math.isfinite(value) and value > 0, (seed, value)


def test_every_rubric_has_four_written_answers():
    """A rubric question without strong, paraphrased, partial and wrong answers fails the bank."""
    assert set(slugs("rubric")) == set(ANSWERS)
    for slug, answers in ANSWERS.items():
        assert set(answers) == {"strong", "paraphrase", "partial", "wrong"}, slug


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_rubric_grades_written_answers_like_an_interviewer(slug):
    """Strong answers are correct, paraphrases score well, partial answers get partial credit, wrong ones little."""
    spec = spec_of(QUESTIONS[slug])
    answers = ANSWERS[slug]

    strong = grade(spec, answers["strong"])
    assert strong.verdict == "correct" and strong.score >= 0.8, strong.feedback

    paraphrase = grade(spec, answers["paraphrase"])
    assert paraphrase.score >= 0.7, paraphrase.feedback

    partial = grade(spec, answers["partial"])
    assert 0.3 <= partial.score < 0.8 and partial.verdict == "partial", partial.feedback

    wrong = grade(spec, answers["wrong"])
    assert wrong.score < 0.35, wrong.feedback


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_rubric_concepts_have_several_phrasings(slug):
    """Each concept accepts at least 4 ways of saying it, the ways different candidates would say it."""
    for concept in QUESTIONS[slug]["concepts"]:
        assert readings(concept) >= 4, concept["id"]


def test_every_choice_question_has_a_key():
    """A choice question without its intended key listed here fails the bank."""
    assert set(slugs("single", "multiple")) == set(CHOICE_KEYS)


@pytest.mark.parametrize("slug", sorted(CHOICE_KEYS))
def test_choice_key_is_the_intended_one(slug):
    """Exactly the intended choices are correct, every choice has text, and a single question has one key."""
    q = QUESTIONS[slug]
    assert all(isinstance(c.get("text"), str) and c["text"].strip() for c in q["choices"])
    correct = {c["id"] for c in q["choices"] if c["correct"]}
    assert correct == CHOICE_KEYS[slug]
    if q["type"] == "single":
        assert len(correct) == 1
    else:
        assert len(correct) >= 2
    picked = ",".join(sorted(correct))
    assert grade(spec_of(q), picked).verdict == "correct"


@pytest.mark.parametrize("topic", TOPICS)
def test_practice_quiz_covers_its_topic(topic):
    """Each topic's practice quiz holds 8-10 existing questions of that topic, every type represented."""
    quiz = QUIZZES[topic]
    assert quiz["id"] == f"{topic}-practice" and quiz["mode"] == "practice"
    assert 8 <= len(quiz["questions"]) <= 10
    assert len(set(quiz["questions"])) == len(quiz["questions"])
    questions = [QUESTIONS[slug] for slug in quiz["questions"]]
    assert all(q["topic"] == topic for q in questions)
    kinds = {q["type"] for q in questions}
    assert kinds & {"single", "multiple"} and kinds & {"numeric", "calculated"} and "rubric" in kinds

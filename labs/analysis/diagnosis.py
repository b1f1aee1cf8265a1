"""What a finished run means: phases, steady steps, the knee, the plateau, capacity at the SLO, the first
sustained breach, the bottleneck from evidence, Little's-law checks and the interview answer.

Pure: no Django, no Locust. `diagnose()` reads the run's per-second samples (RunSample.to_dict(), plus the
optional compact histogram of each second under "histogram"), the results already built from the telemetry
summary and the API's /metrics/summary (labs/results.py), and the run's config; it returns the dict stored
as results["diagnosis"] (the shape is documented in content/README.md, "Labs", and tested).

Definitions (each one is written into the diagnosis, so the page and the checkpoints say the same thing):
- a *step* is a stretch of at least MIN_STEP_SAMPLES seconds at one number of users; its first seconds
  (a quarter of it, at least one) are dropped, since the queue of the previous level is still draining and
  the first second after a change still counts requests of the previous level: the rest is its *steady window*;
- the *knee* is the last step whose throughput still followed the users: at the next step the RPS rose by
  less than half as much, proportionally, as the users did, while the P99 climbed;
- the *plateau* is the median of the steady RPS of the steps from the one after the knee on;
- *capacity at the SLO* is the highest steady RPS of a step whose P99 (from its histogram) met the SLO;
- the *first sustained breach* is the first second of SUSTAIN_S seconds in a row whose P99 was above the
  SLO, outside the warm-up.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from labs.analysis import histogram as hist

VERSION = 1
BOTTLENECKS = ("cpu", "io", "blocking", "concurrency_limit", "generator", "batch", "none")
# Scenarios that stream from the LLM endpoints: their server's capacity is its decoder batch, not a core.
BATCHING_SCENARIOS = frozenset({"llm_stream.py"})
CHECK_IDS = ("littles_law_api", "littles_law_closed_loop", "coordinated_omission")

MIN_STEP_SAMPLES = 3  # seconds at one number of users for that level to count as a step
DROP_FRACTION = 0.25  # of each step, dropped at its start (at least one second)
SUSTAIN_S = 3  # seconds in a row above the SLO for a breach to count
KNEE_EFFICIENCY = 0.5  # RPS gain / users gain (both relative) below which throughput stopped following users
KNEE_LATENCY_RISE = 1.2  # ... while the P99 grew at least this much
CPU_BUSY = 0.8  # share of the cores the API may use above which it is CPU-bound
CPU_CONTENDED = 0.5  # ... or above this share when its event loop was saturated too (the machine was shared)
ASLEEP_SHARE = 0.3  # share of the time a worker served a request while neither computing nor waiting for a core
GENERATOR_IDLE_BUSY = 0.5  # API workers serving less than this share of the time: the API was not the limit
GENERATOR_LATENCY_RATIO = 5.0  # ... while clients waited 5x longer than the API took
GENERATOR_GAP_MS = 20.0  # ... and at least this much longer
CPU_WAIT_NOTABLE = 10.0  # % of a core the API waited for a CPU while ready to run: the machine was shared
GENERATOR_HOT = 90.0  # % of a core above which a Locust process cannot keep its own timing
GENERATOR_HOT_SECONDS = 2
LOOP_BLOCKED_MS = 5.0  # mean event-loop lag above which the loop was blocked most of the time
SHED_SHARE = 0.01  # share of steady requests refused (503) for a concurrency limit to count
LITTLE_TOLERANCE = 0.25  # relative gap above which a Little's-law check fails
STALL_RPS_SHARE = 0.25  # a steady second below this share of its step's RPS: the closed loop stalled

# Mean think time of each scenario's users (WAIT_MIN..WAIT_MAX defaults); None: not a closed loop with think
# time (open-loop arrivals, constant pacing).
SCENARIO_THINK_S: dict[str, tuple[float, float] | None] = {
    "step_load.py": (0.5, 1.5), "spike.py": (0.5, 1.5), "cpu_io_mix.py": (0.5, 1.5), "hot_keys.py": (0.1, 0.3),
    "predict.py": (1.0, 2.0), "max_throughput.py": (0.0, 0.0), "paced_users.py": None,
    "constant_arrival.py": None,
}  # fmt: skip
OPEN_LOOP_SCENARIOS = {"constant_arrival.py"}


# -- small helpers ------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _median(values: Iterable[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def fmt_rps(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} req/s" if value >= 20 else f"{value:,.1f} req/s"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} ms" if value >= 20 else f"{value:,.1f} ms"


def fmt_users(value: int) -> str:
    return f"{value} user" if value == 1 else f"{value} users"


def _seconds_range(first: int, last: int) -> str:
    return f"step {first}" if first == last else f"steps {first}-{last}"


# -- phases and steps ---------------------------------------------------------------------------------------


def loaded_samples(samples: Sequence[dict]) -> list[dict]:
    """The samples taken while users ran, in time order (the spawn-down after the end is left out)."""
    rows = [s for s in samples if (s.get("users") or 0) > 0 and _num(s.get("t")) is not None]
    return sorted(rows, key=lambda s: (s["t"], s.get("index", 0)))


def _segments(rows: list[dict]) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive samples with the same number of users."""
    segments: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i]["users"] != rows[start]["users"]:
            segments.append((start, i))
            start = i
    return segments


def _interval_start(rows: list[dict], i: int) -> float:
    """When the second ending at rows[i]["t"] began: the previous sample's time (0 for the first)."""
    if i > 0:
        return float(rows[i - 1]["t"])
    return max(0.0, float(rows[0]["t"]) - 1.0)


def find_steps(rows: list[dict]) -> list[dict]:
    """One entry per step: its users, its [start, end] in seconds and its steady window's sample range."""
    steps = []
    for start, end in _segments(rows):
        if end - start < MIN_STEP_SAMPLES:
            continue
        drop = max(1, math.ceil(DROP_FRACTION * (end - start)))
        steps.append({
            "users": int(rows[start]["users"]),
            "first": start, "steady_first": start + drop, "end": end,
            "start_s": _interval_start(rows, start),
            "steady_start_s": _interval_start(rows, start + drop),
            "end_s": float(rows[end - 1]["t"]),
        })
    return steps


def build_phases(rows: list[dict], steps: list[dict]) -> tuple[list[dict], float]:
    """Warm-up (the start of the load until the first steady window), ramps and steady windows, in order."""
    if not rows:
        return [], 0.0
    phases: list[dict] = []
    cursor = _interval_start(rows, 0)
    warmup_s = 0.0
    for number, step in enumerate(steps):
        if step["steady_start_s"] > cursor:
            kind = "warmup" if number == 0 else "ramp"
            phases.append({"kind": kind, "start_s": round(cursor, 3), "end_s": round(step["steady_start_s"], 3)})
            if number == 0:
                warmup_s = step["steady_start_s"] - cursor
        phases.append({"kind": "steady", "start_s": round(step["steady_start_s"], 3), "end_s": round(step["end_s"], 3)})
        cursor = step["end_s"]
    last_t = float(rows[-1]["t"])
    if last_t > cursor:
        phases.append({"kind": "warmup" if not steps else "ramp", "start_s": round(cursor, 3), "end_s": round(last_t, 3)})
        if not steps:
            warmup_s = last_t - cursor
    return phases, round(warmup_s, 3)


def step_figures(rows: list[dict], step: dict, index: int) -> dict:
    """A step's steady-state figures: median RPS, P50/P99 from its merged histogram, CPU, errors."""
    window = rows[step["steady_first"]:step["end"]]
    merged = hist.merge(s.get("histogram") for s in window)
    if hist.count(merged):
        p50, p99, mean = hist.percentile(merged, 0.50), hist.percentile(merged, 0.99), hist.mean(merged)
        source = "histogram"
    else:  # older runs: no histograms were recorded; the median of the seconds' window percentiles
        p50 = _median(_num(s.get("p50_ms")) for s in window)
        p99 = _median(_num(s.get("p99_ms")) for s in window)
        mean = None
        source = "samples"
    before = rows[step["steady_first"] - 1]
    last = window[-1]
    requests = max(0, int(last.get("requests") or 0) - int(before.get("requests") or 0))
    errors = max(0, int(last.get("failures") or 0) - int(before.get("failures") or 0))
    generator = [_num(s.get("generator_cpu")) for s in window]
    return {
        "index": index,
        "users": step["users"],
        "start_s": round(step["start_s"], 3),
        "end_s": round(step["end_s"], 3),
        "steady_start_s": round(step["steady_start_s"], 3),
        "rps": _r(_median(_num(s.get("rps")) for s in window), 2),
        "p50_ms": _r(p50, 2),
        "p99_ms": _r(p99, 2),
        "mean_ms": _r(mean, 2),
        "latency_source": source,
        "api_cpu_percent": _r(_median(_num(s.get("api_cpu")) for s in window)),
        "generator_cpu_percent": _r(_median(generator)),
        "generator_hot_seconds": sum(1 for c in generator if c is not None and c > GENERATOR_HOT),
        "requests": requests,
        "errors": errors,
        "error_percent": round(100 * errors / requests, 2) if requests else 0.0,
        "seconds": len(window),
    }


# -- the knee, the plateau, capacity and the breach ---------------------------------------------------------


def find_knee(steps: list[dict]) -> int | None:
    """The position (in `steps`) of the last step whose throughput still followed the users, or None."""
    for i in range(1, len(steps)):
        before, after = steps[i - 1], steps[i]
        if after["users"] <= before["users"] or not before["rps"] or after["rps"] is None:
            continue
        users_gain = after["users"] / before["users"] - 1
        rps_gain = after["rps"] / before["rps"] - 1
        latency_rose = (before["p99_ms"] is not None and after["p99_ms"] is not None
                        and after["p99_ms"] >= KNEE_LATENCY_RISE * before["p99_ms"])
        if rps_gain < KNEE_EFFICIENCY * users_gain and latency_rose:
            return i - 1
    return None


def plateau(steps: list[dict], knee: int | None, broke: bool) -> tuple[float | None, str]:
    """The most the API served, robustly: the median steady RPS of the steps after the knee."""
    if knee is not None:
        after = [s for s in steps[knee + 1:] if s["rps"] is not None]
        users = after[0]["users"]
        count = len(after)
        where = f"the step at {users} users" if count == 1 else f"the {count} steps from {users} users on"
        return round(statistics.median(s["rps"] for s in after), 1), \
            f"the median of the steady RPS of {where}, after throughput stopped rising with users"
    if broke and steps:
        last = steps[-1]
        return last["rps"], (f"the median RPS of the last step's steady seconds ({last['users']} users): "
                             "it was already saturated")
    return None, "none: throughput still rose with users, so the run did not find the most the API can serve"


def capacity_at_slo(steps: list[dict], slo_ms: float | None) -> float | None:
    if not slo_ms:
        return None
    within = [s["rps"] for s in steps if s["p99_ms"] is not None and s["rps"] is not None and s["p99_ms"] <= slo_ms]
    return round(max(within), 1) if within else None


def first_sustained_breach(rows: list[dict], slo_ms: float | None, warmup_end_s: float) -> dict | None:
    """The first second of SUSTAIN_S in a row with P99 above the SLO, after the warm-up; a streak cut short by
    the end of the run counts if it held for at least two seconds to the last one."""
    if not slo_ms:
        return None
    streak: list[dict] = []
    for i, sample in enumerate(rows):
        p99 = _num(sample.get("p99_ms"))
        if sample["t"] <= warmup_end_s or p99 is None or p99 <= slo_ms:
            streak = []
            continue
        streak.append(sample)
        at_end = i == len(rows) - 1
        if len(streak) >= SUSTAIN_S or (at_end and len(streak) >= 2):
            first = streak[0]
            return {"second": round(first["t"]), "users": int(first["users"]),
                    "rps": _r(_median(_num(s.get("rps")) for s in streak[:SUSTAIN_S]), 1)}
    return None


# -- the bottleneck -----------------------------------------------------------------------------------------


def _cores(config: dict, cpu_count: int | None) -> int:
    workers = int((config.get("api") or {}).get("workers") or 1)
    return max(1, min(workers, cpu_count or workers))


def classify(steps: list[dict], knee: int | None, breach: dict | None, results: dict, config: dict,
             cpu_count: int | None) -> tuple[str, list[str]]:
    """The bottleneck and the evidence for it, in the order an engineer would rule things out."""
    if not steps:
        return "none", ["The run had no steady step to analyse (it was too short or never held its users)."]
    cores = _cores(config, cpu_count)
    saturated = steps[knee + 1:] if knee is not None else steps[-1:]
    span = _seconds_range(saturated[0]["index"], saturated[-1]["index"])
    cpu = _median(s["api_cpu_percent"] for s in saturated)
    cpu_share = cpu / (100 * cores) if cpu is not None else None
    core_words = "the 1 core it may use" if cores == 1 else f"the {cores} cores it may use"
    cpu_text = (f"API CPU {cpu:.0f}% of one core ({100 * cpu_share:.0f}% of {core_words}) over {span}"
                if cpu is not None else "")
    evidence: list[str] = []

    hot = sum(s["generator_hot_seconds"] for s in steps)
    if hot >= GENERATOR_HOT_SECONDS and (cpu_share is None or cpu_share < CPU_BUSY):
        peak = max((s["generator_cpu_percent"] or 0) for s in steps)
        evidence.append(f"A Locust process was above {GENERATOR_HOT:.0f}% of a core for {hot} steady seconds "
                        f"(median up to {peak:.0f}%): it could not send faster")
        if cpu_text:
            evidence.append(cpu_text + ": the API had room to spare")
        return "generator", evidence

    # What the API itself saw: how busy its workers were (RPS x mean latency per worker: 1 = always serving),
    # the CPU it used and the CPU it waited for (ready to run, no core free), and how late its event loop ran.
    workers = int((config.get("api") or {}).get("workers") or 1)
    server_rps, server_ms = _num(results.get("server_rps")), _num(results.get("server_mean_all_ms"))
    busy = server_rps * server_ms / 1000 / workers if server_rps is not None and server_ms is not None else None
    client_ms = _num(results.get("mean_ms"))
    whole_cpu, wait = _num(results.get("api_cpu_percent")), _num(results.get("api_cpu_wait_percent"))
    wanted = (whole_cpu + wait) / (100 * cores) if whole_cpu is not None and wait is not None else None
    lag = _num(results.get("api_loop_lag_ms"))
    loop_blocked = lag is not None and lag >= LOOP_BLOCKED_MS
    # Serving a request while neither computing nor waiting for a core: asleep with a request in hand.
    asleep = busy - wanted * cores / workers if busy is not None and wanted is not None else None

    if (busy is not None and busy < GENERATOR_IDLE_BUSY and (wanted is None or wanted < CPU_CONTENDED)
            and client_ms is not None and server_ms is not None
            and client_ms >= GENERATOR_LATENCY_RATIO * server_ms and client_ms - server_ms >= GENERATOR_GAP_MS):
        evidence.append(f"Clients waited {fmt_ms(client_ms)} on average for answers the API gave in "
                        f"{fmt_ms(server_ms)}, and its workers were serving only {100 * busy:.0f}% of the time: "
                        "the time went in the load generator")
        if cpu_text:
            evidence.append(cpu_text + ": the API had room to spare")
        return "generator", evidence

    steady_requests = sum(s["requests"] for s in steps)
    steady_errors = sum(s["errors"] for s in steps)
    shed = _num(results.get("shed")) or 0
    broke = knee is not None or breach is not None or (steady_requests and steady_errors / steady_requests >= 0.01)
    if not broke:
        top = max(steps, key=lambda s: s["users"])
        evidence.append(f"Throughput rose with the users up to the last step ({fmt_users(top['users'])}, "
                        f"{fmt_rps(top['rps'])}) and the P99 stayed at {fmt_ms(top['p99_ms'])}")
        if cpu_text:
            evidence.append(cpu_text)
        return "none", evidence

    if str(config.get("scenario") or "") in BATCHING_SCENARIOS:
        return "batch", batch_evidence(steps, knee, saturated, results, config, cpu_text)

    requests = _num(results.get("requests")) or steady_requests
    if shed and requests and shed / requests >= SHED_SHARE:
        limit = (config.get("api") or {}).get("max_concurrency")
        evidence.append(f"The API refused {shed:,.0f} requests with 503 ({100 * shed / requests:.1f}% of "
                        f"{requests:,.0f})" + (f": its limit is {limit} in flight per worker" if limit else ""))
        if cpu_text:
            evidence.append(cpu_text)
        return "concurrency_limit", evidence

    contended = (wanted is not None and wait is not None and wait >= CPU_WAIT_NOTABLE
                 and wanted >= CPU_CONTENDED and not (asleep is not None and asleep >= ASLEEP_SHARE))
    if cpu_share is not None and (cpu_share >= CPU_BUSY or (wanted is not None and wanted >= CPU_BUSY)
                                  or (loop_blocked and cpu_share >= CPU_CONTENDED) or contended):
        evidence.append(cpu_text)
        if wait is not None and wait >= CPU_WAIT_NOTABLE:
            evidence.append(f"Over the whole load it used {whole_cpu:.0f}% of a core and waited for a core another "
                            f"{wait:.0f}% of the time while ready to run: it wanted {100 * wanted:.0f}% of "
                            f"{core_words} (the machine was busy with other work too)")
        if loop_blocked:
            evidence.append(f"Its event loop answered {lag:.0f} ms late on average: busy computing")
        work = _num((config.get("api") or {}).get("cpu_ms"))
        if work:
            evidence.append(f"Each request costs {work:g} ms of CPU, so {cores} core(s) serve at most about "
                            f"{1000 * cores / work:,.0f} req/s")
        return "cpu", evidence

    if cpu_text:
        evidence.append(cpu_text + ": the API was mostly waiting, not computing")
    if loop_blocked and (asleep is None or asleep >= ASLEEP_SHARE):
        evidence.append(f"Its event loop answered {lag:.0f} ms late on average: a handler held it while it waited, "
                        "so requests were served one at a time")
        if asleep is not None:
            evidence.append(f"Its worker was serving a request {100 * busy:.0f}% of the time but computing or "
                            f"ready to compute only {100 * (busy - asleep):.0f}%: the rest it slept inside a handler")
        return "blocking", evidence
    in_flight = _num(results.get("api_in_flight_mean"))
    first, last = steps[0], saturated[-1]
    evidence.append(f"P99 rose from {fmt_ms(first['p99_ms'])} at {fmt_users(first['users'])} to "
                    f"{fmt_ms(last['p99_ms'])} at {fmt_users(last['users'])}")
    if in_flight is not None:
        evidence.append(f"On average {in_flight:.1f} requests were in flight inside the API, waiting")
    return "io", evidence


def batch_evidence(steps: list[dict], knee: int | None, saturated: list[dict], results: dict, config: dict,
                   cpu_text: str) -> list[str]:
    """Why a streaming (LLM) run broke at its batch: every KV-cache slot busy, newcomers queue for one."""
    batch = (config.get("api") or {}).get("llm_max_batch")
    first, last = steps[0], saturated[-1]
    start = f"Up to {fmt_users(steps[knee]['users'])}" if knee is not None else "At first"
    evidence = [(f"{start} the requests per second followed the users; then response times rose from "
                 f"{fmt_ms(first['p50_ms'])} to {fmt_ms(last['p50_ms'])} (median, whole streams) while the RPS "
                 f"stayed near {fmt_rps(last['rps'])}")]
    if batch:
        evidence.append(f"The server decodes at most {batch} sequences at once: past that, each new request waits "
                        "for a slot (its time to first token climbs) and each step still yields one token per slot")
    ttft_p50, ttft_p99 = _num(results.get("ttft_p50_ms")), _num(results.get("ttft_p99_ms"))
    if ttft_p50 is not None and ttft_p99 is not None:
        evidence.append(f"Time to first token: median {fmt_ms(ttft_p50)}, P99 {fmt_ms(ttft_p99)}")
    plateau_tokens = _num(results.get("plateau_tokens_per_s"))
    if plateau_tokens is not None:
        evidence.append(f"Output levelled off at about {plateau_tokens:,.0f} tokens/s")
    if cpu_text:
        evidence.append(cpu_text + ": the host CPU was not the limit (the decode steps stand for GPU time)")
    return evidence


# -- consistency checks -------------------------------------------------------------------------------------


def think_seconds(config: dict) -> float | None:
    """Mean think time of the run's users, from WAIT_MIN/WAIT_MAX or the scenario's defaults; None if open loop."""
    scenario = str(config.get("scenario") or "")
    default = SCENARIO_THINK_S.get(scenario, (None, None))
    if default is None:
        return None
    env = config.get("env") or {}
    try:
        low = float(env["WAIT_MIN"]) if "WAIT_MIN" in env else default[0]
        high = float(env["WAIT_MAX"]) if "WAIT_MAX" in env else (max(default[1], low) if default[1] is not None
                                                                    and low is not None else None)
    except (TypeError, ValueError):
        return None
    if low is None or high is None:
        return None
    return (low + high) / 2


def _gap(expected: float, observed: float) -> float:
    return abs(observed - expected) / expected if expected else float("inf")


def check_littles_law_api(results: dict) -> dict:
    """Inside the API: the time-averaged number in flight the API counted vs its RPS x its mean latency."""
    rps = _num(results.get("server_rps")) or _num(results.get("rps"))
    mean_ms = _num(results.get("server_mean_all_ms")) or _num(results.get("server_mean_ms"))
    observed = _num(results.get("api_in_flight_mean"))
    base = {"id": "littles_law_api"}
    if rps is None or mean_ms is None or observed is None:
        return {**base, "ok": True, "expected": None, "observed": observed,
                "message": "Not checked: the API did not report its requests in flight for this run."}
    expected = rps * mean_ms / 1000
    gap = _gap(expected, observed)
    text = (f"In flight inside the API: {rps:,.1f} req/s x {mean_ms:,.1f} ms = {expected:.2f} expected, "
            f"{observed:.2f} counted by the API.")
    if gap <= LITTLE_TOLERANCE or abs(observed - expected) < 0.5:
        return {**base, "ok": True, "expected": round(expected, 2), "observed": round(observed, 2),
                "message": text + " Little's law holds."}
    if observed < expected:
        why = (" The API samples its count from a thread every 10 ms, which gets its turn at least every 5 ms even "
               "while a handler computes or blocks the event loop: fewer counted than were in flight means that "
               "thread did not run on time (the machine's cores were busy), or the API's count covers another span "
               "than the load.")
    else:
        why = (" More were counted than the latency explains: the run's start and end, when the rate was not "
               "steady, or requests the timer saw only in part.")
    return {**base, "ok": False, "expected": round(expected, 2), "observed": round(observed, 2),
            "message": text + f" They differ by {100 * gap:.0f}%." + why}


def check_littles_law_closed_loop(steps: list[dict], think_s: float | None, open_loop: bool) -> dict:
    """The whole loop: users = RPS x (mean response time + mean think time), on the last steady step."""
    base = {"id": "littles_law_closed_loop"}
    if open_loop:
        return {**base, "ok": True, "expected": None, "observed": None,
                "message": "Not applicable: requests arrived at a fixed rate (an open loop), not from waiting users."}
    usable = [s for s in steps if s["rps"] and (s["mean_ms"] is not None or s["p50_ms"] is not None)]
    if think_s is None or not usable:
        return {**base, "ok": True, "expected": None, "observed": None,
                "message": "Not checked: the users' think time or the step latencies are unknown."}
    step = usable[-1]
    response_ms = step["mean_ms"] if step["mean_ms"] is not None else step["p50_ms"]
    expected = step["rps"] * (response_ms / 1000 + think_s)
    observed = float(step["users"])
    gap = _gap(expected, observed)
    text = (f"At {fmt_users(step['users'])}: {step['rps']:,.1f} req/s x ({response_ms:,.0f} ms response + "
            f"{1000 * think_s:,.0f} ms think) = {expected:.1f} users expected, {step['users']} ran.")
    if gap <= LITTLE_TOLERANCE:
        return {**base, "ok": True, "expected": round(expected, 1), "observed": observed,
                "message": text + " Little's law holds for the closed loop."}
    why = (" Fewer were accounted for than ran: the users spent time neither waiting for an answer nor thinking, "
           "so the load generator was slow to send (its CPU, connection setup)." if expected < observed else
           " More were accounted for than ran: the think time was shorter than assumed or the rate was not steady.")
    return {**base, "ok": False, "expected": round(expected, 1), "observed": observed,
            "message": text + f" They differ by {100 * gap:.0f}%." + why}


def check_coordinated_omission(rows: list[dict], steps: list[dict], open_loop: bool, think_s: float | None) -> dict:
    """Did the closed loop stall? Seconds where the users, all waiting on slow answers, sent far fewer requests."""
    base = {"id": "coordinated_omission", "expected": None}
    if open_loop:
        return {**base, "ok": True, "observed": None,
                "message": "Open loop: requests kept arriving on schedule while the server was slow, so slow "
                           "answers held nothing back (no coordinated omission)."}
    stalled: list[dict] = []
    for step in steps:
        if not step["rps"]:
            continue
        window = rows[step["_first"]:step["_end"]]
        stalled += [s for s in window if (_num(s.get("rps")) or 0) < STALL_RPS_SHARE * step["rps"]]
    slow = [s for s in steps if s["p99_ms"] is not None and think_s is not None
            and s["p99_ms"] > max(1000.0, 1000 * 4 * max(think_s, 0.25))]
    if not stalled and not slow:
        return {**base, "ok": True, "observed": 0.0,
                "message": "The closed loop kept its pace: no steady second fell below a quarter of its step's "
                           "RPS, so coordinated omission is small here."}
    parts = []
    if stalled:
        parts.append(f"{len(stalled)} steady second(s) fell below a quarter of their step's RPS (from t = "
                     f"{stalled[0]['t']:.0f} s)")
    if slow:
        parts.append(f"the P99 reached {fmt_ms(max(s['p99_ms'] for s in slow))}, far beyond the users' think time")
    return {**base, "ok": False, "observed": float(len(stalled)),
            "message": "Coordinated omission: " + " and ".join(parts) + ". Each user waits for its answer before "
                       "sending again, so when the server stalls the test sends less exactly then: the percentiles "
                       "understate what an open stream of users would have seen. An open-loop run "
                       "(constant arrivals) shows the true tail."}


# -- findings and the summary -------------------------------------------------------------------------------

ADVICE = {
    "cpu": "more cores or cheaper inference (a smaller model, batching, caching repeated inputs), not async",
    "io": "more concurrency for the waits (async I/O, a bigger pool) or a faster downstream, not more CPU",
    "blocking": "take the blocking call off the event loop (an async client or run_in_executor) or add workers",
    "concurrency_limit": "raise the limit only if the API has CPU to spare; otherwise add workers or replicas",
    "generator": "more Locust processes (--processes) or a lighter client before trusting the numbers",
    "batch": "more KV-cache slots (a bigger batch: more tokens/s but slower tokens) or more replicas, and a queue "
             "limit that sheds before time to first token breaks its SLO",
    "none": "push further: more users or a longer step load, until it breaks",
}
NAMES = {
    "cpu": "CPU-bound", "io": "waiting on I/O", "blocking": "blocked event loop",
    "concurrency_limit": "shedding at its concurrency limit", "generator": "the load generator, not the API",
    "batch": "a full batch (every KV-cache slot busy)", "none": "it never broke",
}  # fmt: skip


def interview_summary(d: dict, config: dict) -> str:
    bottleneck = d["bottleneck"]
    api_workers = int((config.get("api") or {}).get("workers") or 1)
    per = " per worker" if api_workers == 1 else f" with {api_workers} workers"
    slo = d["slo_ms"]
    if bottleneck == "generator":
        return ("This run measured Locust, not the API: the load generator could not keep up (out of CPU, or "
                "short of a core it had to share), so its throughput says nothing about the server. "
                f"Fix: {ADVICE['generator']}.")
    if bottleneck == "none":
        top = max(d["steps"], key=lambda s: s["users"]) if d["steps"] else None
        served = f"It served {fmt_rps(top['rps'])} at {fmt_users(top['users'])} with P99 {fmt_ms(top['p99_ms'])}" \
            if top else "It served every request"
        return f"{served} and never broke, so the capacity is above that. Next: {ADVICE['none']}."
    parts = []
    if d["capacity_at_slo_rps"] is not None and slo:
        parts.append(f"About {fmt_rps(d['capacity_at_slo_rps'])}{per} at P99 under {fmt_ms(slo)}")
    elif d["plateau_rps"] is not None:
        parts.append(f"It tops out at about {fmt_rps(d['plateau_rps'])}{per}")
    if d["plateau_rps"] is not None and d["capacity_at_slo_rps"] is not None:
        parts.append(f"it tops out at about {fmt_rps(d['plateau_rps'])}")
    if d["knee_users"] is not None:
        parts.append(f"the knee is at {fmt_users(d['knee_users'])}")
    head = "; ".join(parts) if parts else "It broke"
    return f"{head}. {NAMES[bottleneck][0].upper()}{NAMES[bottleneck][1:]}, so {ADVICE[bottleneck]}."


def build_findings(d: dict) -> list[dict]:
    findings = []
    if d["knee_users"] is not None:
        findings.append({"id": "knee", "title": f"The knee: {fmt_users(d['knee_users'])}",
                         "text": f"Up to {fmt_users(d['knee_users'])} throughput rose with the users; after "
                                 f"t = {d['knee_second']} s more users only made the queue longer."})
    if d["plateau_rps"] is not None:
        findings.append({"id": "plateau", "title": f"Plateau: {fmt_rps(d['plateau_rps'])}",
                         "text": f"The plateau is {d['plateau_definition']}."})
    if d["slo_ms"]:
        if d["capacity_at_slo_rps"] is not None:
            text = (f"The highest steady RPS of a step whose P99 stayed under {fmt_ms(d['slo_ms'])} was "
                    f"{fmt_rps(d['capacity_at_slo_rps'])}.")
        else:
            text = f"No steady step kept its P99 under {fmt_ms(d['slo_ms'])}."
        findings.append({"id": "capacity", "title": "Capacity at the SLO", "text": text})
        breach = d["first_breach"]
        findings.append({"id": "breach", "title": "First sustained SLO breach" if breach else "No sustained breach",
                         "text": (f"From t = {breach['second']} s the P99 stayed above {fmt_ms(d['slo_ms'])} for "
                                  f"{SUSTAIN_S} s or more, at {fmt_users(breach['users'])} and about "
                                  f"{fmt_rps(breach['rps'])}." if breach else
                                  f"The P99 never stayed above {fmt_ms(d['slo_ms'])} for {SUSTAIN_S} s in a row "
                                  "outside the warm-up.")})
    findings.append({"id": "bottleneck", "title": f"Bottleneck: {NAMES[d['bottleneck']]}",
                     "text": "; ".join(d["bottleneck_evidence"]) + "."})
    for check in d["checks"]:
        if not check["ok"]:
            findings.append({"id": check["id"], "title": "Check: " + check["id"].replace("_", " "),
                             "text": check["message"]})
    return findings


# -- the whole analysis -------------------------------------------------------------------------------------


def diagnose(samples: Sequence[dict], results: dict | None, config: dict | None, slo_ms: float | None,
             cpu_count: int | None = None) -> dict[str, Any]:
    """The diagnosis of a finished run (see the module docstring and content/README.md)."""
    results = results or {}
    config = config or {}
    slo_ms = _num(slo_ms) or None
    rows = loaded_samples(samples)
    raw_steps = find_steps(rows)
    phases, warmup_s = build_phases(rows, raw_steps)
    steps = [step_figures(rows, step, number) for number, step in enumerate(raw_steps, start=1)]
    knee = find_knee(steps)
    warmup_end = raw_steps[0]["steady_start_s"] if raw_steps else 0.0
    breach = first_sustained_breach(rows, slo_ms, warmup_end)
    bottleneck, evidence = classify(steps, knee, breach, results, config, cpu_count)
    if bottleneck == "generator":
        plateau_rps, plateau_definition = None, ("none: the load generator ran out of CPU first, so the RPS it "
                                                 "reached says nothing about the API")
    else:
        plateau_rps, plateau_definition = plateau(steps, knee, bottleneck != "none")
    scenario = str(config.get("scenario") or "")
    open_loop = scenario in OPEN_LOOP_SCENARIOS
    think = think_seconds(config)
    for step, raw in zip(steps, raw_steps, strict=True):
        step["_first"], step["_end"] = raw["steady_first"], raw["end"]
    checks = [
        check_littles_law_api(results),
        check_littles_law_closed_loop(steps, think, open_loop),
        check_coordinated_omission(rows, steps, open_loop, think),
    ]
    for step in steps:
        del step["_first"], step["_end"]
    diagnosis: dict[str, Any] = {
        "version": VERSION,
        "bottleneck": bottleneck,
        "bottleneck_evidence": evidence,
        "plateau_rps": plateau_rps,
        "plateau_definition": plateau_definition,
        "knee_users": steps[knee]["users"] if knee is not None else None,
        "knee_second": round(steps[knee]["end_s"]) if knee is not None else None,
        "capacity_at_slo_rps": capacity_at_slo(steps, slo_ms),
        "slo_ms": slo_ms,
        "first_breach": breach,
        "warmup_s": warmup_s,
        "phases": phases,
        "steps": steps,
        "checks": checks,
    }
    diagnosis["findings"] = build_findings(diagnosis)
    diagnosis["summary"] = interview_summary(diagnosis, config)
    return diagnosis

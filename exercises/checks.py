"""Checks of a learner's locustfile, answered from evidence: the traffic the model API recorded, Locust's
own stats, the run's outcome and a static read of the file (`exercises.source`).

Pure: no Django, no Locust. An exercise lists its checks as data (`{"id", "kind", ...parameters}`);
`validate_check_specs` says what is wrong with a list of them, `run_checks` answers each one with a
`CheckResult` whose message says what was seen ("3,412 requests to /predict, 0 to /healthz; expected about
1 in 4 to /healthz"). Two checks come first for every exercise: `file` (it parses and defines a user class)
and `runs` (it ran without an error); their messages carry the learner's line.

A record row is `{"t": seconds, "method", "path", "status", "client": "ip:port", "token": str|None,
"body_valid": bool, "error": str|None}`, one per request the API answered.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exercises.source import SourceFacts, read_source

BAD_ANSWER = "wrong answer on purpose"  # labs.model_api.routes.predict.BAD_ANSWER, the record's note


@dataclass(frozen=True)
class CheckResult:
    id: str
    passed: bool
    message: str
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "passed": self.passed, "message": self.message, "title": self.title}


@dataclass(frozen=True)
class Evidence:
    """Everything a check may read about one run."""

    source: str
    requests: Sequence[Mapping[str, Any]] = ()
    stats: Any = None  # Locust's final stats, normalised by `stats_by_endpoint`
    status: str = "completed"  # completed | error | killed (labs.sandbox.LocustfileRun.status)
    reason: str = ""
    error_line: int | None = None
    users: int = 1  # users asked for
    duration_s: float = 0.0
    api: Mapping[str, Any] = field(default_factory=dict)  # the model API's knobs for the run

    def facts(self) -> SourceFacts:
        return read_source(self.source)


# -- small helpers ------------------------------------------------------------------------------------


def n(value: float) -> str:
    """12345 -> "12,345"; 0.5 -> "0.5"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{n(count)} {word if count == 1 else (words or word + 's')}"


def stats_by_endpoint(stats: Any) -> dict[tuple[str, str], tuple[int, int]]:
    """Locust's stats as {(method, name): (requests, failures)}, from the shapes Locust writes: the list of
    `--json` (num_requests, num_failures) or a mapping "METHOD name" / (method, name) -> counts."""
    table: dict[tuple[str, str], tuple[int, int]] = {}
    if not stats:
        return table
    rows: Iterable[tuple[Any, Any]]
    if isinstance(stats, Mapping):
        rows = stats.items()
    else:
        rows = ((None, row) for row in stats)
    for key, row in rows:
        if not isinstance(row, Mapping):
            continue
        method = row.get("method")
        name = row.get("name")
        if (method is None or name is None) and key is not None:
            if isinstance(key, (tuple, list)) and len(key) == 2:
                method, name = key
            elif isinstance(key, str) and " " in key:
                method, name = key.split(" ", 1)
        if method is None or name is None or str(name).lower() == "aggregated":
            continue
        requests = int(row.get("num_requests", row.get("requests", 0)) or 0)
        failures = int(row.get("num_failures", row.get("failures", 0)) or 0)
        table[(str(method).upper(), str(name))] = (requests, failures)
    return table


def _matches(row: Mapping[str, Any], method: str | None, path: str | None) -> bool:
    if method and str(row.get("method", "")).upper() != method.upper():
        return False
    return not (path and str(row.get("path", "")).split("?", 1)[0] != path)


def _select(requests: Sequence[Mapping[str, Any]], method: str | None = None, path: str | None = None,
            status: int | None = None) -> list[Mapping[str, Any]]:
    return [r for r in requests if _matches(r, method, path) and (status is None or r.get("status") == status)]


def _statuses(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = Counter(r.get("status") for r in rows)
    return ", ".join(f"{n(c)} × {s}" for s, c in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _where(method: str | None, path: str) -> str:
    return f"{method.upper()} {path}" if method else path


def client_intervals(requests: Sequence[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """Each client's (first, last) request time: one Locust user keeps one connection, so one client."""
    spans: dict[str, tuple[float, float]] = {}
    for row in requests:
        client, t = row.get("client"), row.get("t")
        if client is None or t is None:
            continue
        first, last = spans.get(client, (t, t))
        spans[client] = (min(first, t), max(last, t))
    return spans


def client_gaps(requests: Sequence[Mapping[str, Any]], skip_paths: Iterable[str] = ()) -> list[float]:
    """Seconds between consecutive requests of the same client, in time order."""
    skipped = set(skip_paths)
    by_client: dict[str, list[float]] = defaultdict(list)
    for row in requests:
        if row.get("client") is None or row.get("t") is None or row.get("path") in skipped:
            continue
        by_client[row["client"]].append(float(row["t"]))
    gaps: list[float] = []
    for times in by_client.values():
        times.sort()
        gaps.extend(b - a for a, b in itertools.pairwise(times))
    return gaps


def concurrency_steps(requests: Sequence[Mapping[str, Any]], step_s: float = 0.5,
                      hold_s: float = 2.0) -> tuple[int, list[int]]:
    """(peak, plateaus): the number of users active at each `step_s` (a user is active from its first to
    its last request), and the levels, in order, held for at least `hold_s`."""
    spans = list(client_intervals(requests).values())
    if not spans:
        return 0, []
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    levels: list[int] = []
    t = start
    while t <= end + 1e-9:
        levels.append(sum(1 for s, e in spans if s <= t <= e))
        t += step_s
    needed = max(1, math.ceil(hold_s / step_s))
    plateaus: list[int] = []
    run_value, run_length = None, 0
    for value in levels + [None]:
        if value == run_value:
            run_length += 1
            continue
        if run_value and run_length >= needed and (not plateaus or plateaus[-1] != run_value):
            plateaus.append(run_value)
        run_value, run_length = value, 1
    return max(levels), plateaus


# -- the checks -------------------------------------------------------------------------------------------


def check_file(evidence: Evidence, facts: SourceFacts) -> tuple[bool, str]:
    if not facts.parses:
        return False, facts.syntax_error
    if not facts.users:
        return False, ("No user class: define a class that derives from HttpUser "
                       "(`class MLUser(HttpUser): ...`).")
    described = []
    for user in facts.users:
        tasks = len(user.tasks)
        described.append(f"{user.name}({', '.join(user.bases)}) with {plural(tasks, '@task')}"
                         + (f", wait_time = {user.wait_time.describe()}" if user.wait_time else ""))
    if not any(user.tasks for user in facts.users) and not any("tasks" in u.methods for u in facts.users):
        return False, f"Found {'; '.join(described)}: a user with no @task sends nothing. Decorate a method with @task."
    return True, f"Found {'; '.join(described)}."


def check_runs(evidence: Evidence, facts: SourceFacts) -> tuple[bool, str]:
    if evidence.status == "completed":
        return True, f"It ran for {n(evidence.duration_s)} s and the API answered {plural(len(evidence.requests), 'request')}."
    where = f" (line {evidence.error_line})" if evidence.error_line else ""
    reason = evidence.reason or "it stopped on an error"
    if evidence.status == "killed":
        return False, f"It was stopped: {reason}."
    return False, f"It did not run{where}: {reason}"


def check_requests(evidence: Evidence, facts: SourceFacts, *, path: str, method: str | None = None,
                   status: int = 200, min: int = 1) -> tuple[bool, str]:
    rows = _select(evidence.requests, method, path)
    good = [r for r in rows if r.get("status") == status]
    where = _where(method, path)
    if len(good) >= min:
        return True, f"{plural(len(good), 'request')} to {where} answered {status}."
    if not rows:
        other = Counter(_where(r.get("method"), r.get("path", "?")) for r in evidence.requests)
        seen = ", ".join(f"{n(c)} to {w}" for w, c in other.most_common(3)) or "no requests at all"
        return False, f"No request to {where} reached the API (it saw {seen})."
    return False, (f"{plural(len(rows), 'request')} to {where}, {n(len(good))} answered {status} "
                   f"(expected at least {n(min)}); the API answered {_statuses(rows)}.")


def check_valid_bodies(evidence: Evidence, facts: SourceFacts, *, path: str,
                       method: str | None = "POST") -> tuple[bool, str]:
    rows = _select(evidence.requests, method, path)
    where = _where(method, path)
    if not rows:
        return False, f"No request to {where} reached the API, so no body could be checked."
    invalid = [r for r in rows if r.get("body_valid") is False]
    if not invalid:
        return True, f"All {n(len(rows))} bodies sent to {where} were valid JSON houses."
    errors = Counter(str(r.get("error") or "invalid") for r in invalid).most_common(1)[0][0]
    return False, (f"{n(len(invalid))} of {n(len(rows))} bodies sent to {where} failed validation (the API "
                   f"answered 422: {errors}). Send the payload with json=, "
                   '{"sqft": 1500, "bedrooms": 3, "location": "NY"}.')


def check_wait_between(evidence: Evidence, facts: SourceFacts, *, min_s: float, max_s: float,
                       skip_paths: Sequence[str] = ()) -> tuple[bool, str]:
    declared = [u.wait_time for u in facts.users if u.wait_time is not None]
    wanted = f"between({n(min_s)}, {n(max_s)})"
    if not any(w.kind == "between" and w.args == (float(min_s), float(max_s)) for w in declared):
        seen = ", ".join(f"wait_time = {w.describe()} (line {w.line})" for w in declared) or "no wait_time"
        return False, f"Expected wait_time = {wanted}; the file has {seen}."
    gaps = client_gaps(evidence.requests, skip_paths)
    if len(gaps) < 3:
        return False, (f"wait_time = {wanted} is declared, but the API saw only {plural(len(gaps), 'gap')} between "
                       "one user's requests: too few to tell. Do the users send requests?")
    median = statistics.median(gaps)
    short = sum(1 for g in gaps if g < 0.9 * min_s)
    summary = (f"wait_time = {wanted}; {plural(len(gaps), 'gap')} between one user's requests: median "
               f"{median:.2f} s, {n(short)} shorter than {0.9 * min_s:.2f} s")
    if short > max(1, 0.05 * len(gaps)) or not (min_s * 0.9 <= median <= max_s + 0.5):
        return False, summary + f"; expected gaps from {n(min_s)} to {n(max_s)} s."
    return True, summary + "."


def check_ratio(evidence: Evidence, facts: SourceFacts, *, path: str, other_path: str, expected: float,
                method: str | None = None, other_method: str | None = None,
                tolerance: float = 0.07) -> tuple[bool, str]:
    a = len(_select(evidence.requests, method, path))
    b = len(_select(evidence.requests, other_method, other_path))
    total = a + b
    share = 1 / (1 + expected)
    seen = f"{plural(a, 'request')} to {path}, {n(b)} to {other_path}"
    expect = f"expected about 1 in {n(1 + expected)} to {other_path}"
    if total < 20:
        return False, f"{seen}: too few to judge a ratio ({expect})."
    observed = b / total
    slack = max(tolerance, 3 * math.sqrt(share * (1 - share) / total))
    ratio = f"{a / b:.1f} to 1" if b else "no requests to the second"
    if abs(observed - share) <= slack:
        return True, f"{seen} ({ratio}); {expect}."
    return False, f"{seen} ({ratio}); {expect}."


def check_catch_bad_answers(evidence: Evidence, facts: SourceFacts, *, path: str = "/predict",
                            method: str = "POST", name: str | None = None) -> tuple[bool, str]:
    every = int(evidence.api.get("bad_answer_every") or 0)
    if every <= 0:
        return False, "This exercise's run has no bad answers configured (bad_answer_every): a content error."
    rows = _select(evidence.requests, method, path, status=200)
    answered = len(rows)
    # The API notes each wrong answer in its record; without the note, every Nth answer was one.
    noted = sum(1 for r in rows if str(r.get("error") or "").startswith(BAD_ANSWER))
    bad = noted if noted or answered < every else answered // every
    endpoint = (method.upper(), name or path)
    table = stats_by_endpoint(evidence.stats)
    if endpoint not in table:
        names = ", ".join(f"{m} {p}" for m, p in table) or "none"
        return False, f"Locust's stats have no {endpoint[0]} {endpoint[1]} (it reported: {names})."
    _requests, failures = table[endpoint]
    seen = (f"The API sent {plural(bad, 'wrong answer')} (a negative price) among {n(answered)} answers; "
            f"Locust counted {plural(failures, 'failure')} on {endpoint[0]} {endpoint[1]}")
    if not facts.uses_catch_response:
        return False, seen + ". Use `with self.client.post(..., catch_response=True) as response:`."
    slack = max(2, evidence.users)  # requests in flight when the run stopped
    if bad == 0:
        return False, seen + ": the run was too short to get a wrong answer."
    if failures == 0:
        return False, seen + ": call response.failure(...) when the price is not positive."
    if abs(failures - bad) <= slack:
        return True, seen + "."
    if failures > bad:
        return False, seen + ": only the wrong answers should fail; mark the others response.success()."
    return False, seen + ": some wrong answers were not marked failed."


def check_shape(evidence: Evidence, facts: SourceFacts, *, users: int, steps: int) -> tuple[bool, str]:
    if not facts.shapes:
        return False, "No LoadTestShape class: define `class StepLoad(LoadTestShape)` with a tick() method."
    shape = facts.shapes[0]
    if "tick" not in shape.methods:
        return False, f"{shape.name} (line {shape.line}) has no tick() method."
    peak, plateaus = concurrency_steps(evidence.requests)
    path = " → ".join(n(p) for p in plateaus) or "none held for 2 s"
    seen = f"Users active over time (levels held ≥ 2 s): {path}; peak {n(peak)}"
    tolerance = max(1, users // 10)
    if peak > users:
        return False, seen + f"; expected at most {n(users)} users."
    if peak < users - tolerance:
        return False, seen + f"; expected the load to reach {n(users)} users."
    if len(plateaus) < steps:
        return False, seen + f"; expected at least {steps} steps."
    if any(b < a for a, b in itertools.pairwise(plateaus)):
        return False, seen + "; expected the steps to go up."
    return True, seen + "."


def check_token(evidence: Evidence, facts: SourceFacts, *, path: str = "/predict",
                login_path: str = "/login") -> tuple[bool, str]:
    logins = _select(evidence.requests, "POST", login_path, status=200)
    rows = _select(evidence.requests, None, path)
    if not logins:
        return False, f"No successful POST {login_path}: log in first, in on_start."
    if not rows:
        return False, f"{plural(len(logins), 'log-in')} but no request to {path}."
    without = [r for r in rows if not r.get("token")]
    refused = [r for r in rows if r.get("status") == 401]
    users = len(client_intervals(rows)) or 1
    seen = (f"{plural(len(logins), 'log-in')}, {plural(len(rows), 'request')} to {path} from "
            f"{plural(users, 'user')}: {n(len(rows) - len(without))} with a token, {n(len(refused))} refused (401)")
    if without:
        return False, seen + ": send `Authorization: Bearer <token>` on every request."
    if refused:
        return False, seen + ": send the token that POST /login returned."
    if len(logins) > max(evidence.users, users) + 1:
        return False, seen + f": {n(len(logins))} log-ins for {plural(max(evidence.users, users), 'user')}; log in once, in on_start."
    return True, seen + "."


def check_method(evidence: Evidence, facts: SourceFacts, *, name: str) -> tuple[bool, str]:
    for user in facts.users:
        if name in user.methods:
            return True, f"{user.name} defines {name}()."
    return False, f"No user class defines {name}()."


def check_locust_failures(evidence: Evidence, facts: SourceFacts, *, max: int = 0) -> tuple[bool, str]:
    table = stats_by_endpoint(evidence.stats)
    if not table:
        return False, "Locust reported no requests at all."
    total = sum(r for r, _ in table.values())
    failures = sum(f for _, f in table.values())
    worst = sorted(((f, f"{m} {p}") for (m, p), (_, f) in table.items() if f), reverse=True)
    where = f" (most on {worst[0][1]})" if worst else ""
    seen = f"Locust counted {plural(failures, 'failure')} in {plural(total, 'request')}{where}"
    if facts.absolute_urls:
        url, line = facts.absolute_urls[0]
        seen += f"; line {line} sends to {url!r}, which ignores the host the run gives"
    return failures <= max, seen + "."


KINDS: dict[str, tuple[Callable[..., tuple[bool, str]], dict[str, type | tuple[type, ...]], set[str]]] = {
    # kind: (function, {parameter: type}, required parameters)
    "requests": (check_requests, {"path": str, "method": str, "status": int, "min": int}, {"path"}),
    "valid_bodies": (check_valid_bodies, {"path": str, "method": str}, {"path"}),
    "wait_between": (check_wait_between, {"min_s": (int, float), "max_s": (int, float), "skip_paths": list},
                     {"min_s", "max_s"}),
    "ratio": (check_ratio, {"path": str, "other_path": str, "expected": (int, float), "method": str,
                            "other_method": str, "tolerance": (int, float)}, {"path", "other_path", "expected"}),
    "catch_bad_answers": (check_catch_bad_answers, {"path": str, "method": str, "name": str}, set()),
    "shape": (check_shape, {"users": int, "steps": int}, {"users", "steps"}),
    "token": (check_token, {"path": str, "login_path": str}, set()),
    "method": (check_method, {"name": str}, {"name"}),
    "locust_failures": (check_locust_failures, {"max": int}, set()),
}
BUILT_IN = (("file", "The file defines a user", check_file), ("runs", "It runs", check_runs))


def validate_check_specs(specs: Any) -> list[str]:
    """Every problem with an exercise's list of checks, as "checks[2].kind: ..." messages."""
    if not isinstance(specs, list) or not specs:
        return ["checks: must be a non-empty list"]
    problems: list[str] = []
    seen: set[str] = {name for name, _, _ in BUILT_IN}
    for index, spec in enumerate(specs):
        where = f"checks[{index}]"
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a mapping with id, title and kind")
            continue
        check_id = spec.get("id")
        if not isinstance(check_id, str) or not check_id:
            problems.append(f"{where}.id: required text")
        elif check_id in seen:
            problems.append(f"{where}.id: {check_id!r} is used twice (file and runs are built in)")
        else:
            seen.add(check_id)
        if not isinstance(spec.get("title"), str) or not spec.get("title"):
            problems.append(f"{where}.title: required text")
        kind = spec.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}.kind: {kind!r} is not one of {', '.join(sorted(KINDS))}")
            continue
        _, types, required = KINDS[kind]
        params = {k: v for k, v in spec.items() if k not in ("id", "title", "kind")}
        for name in sorted(required - params.keys()):
            problems.append(f"{where}.{name}: required for kind {kind}")
        for name, value in sorted(params.items()):
            if name not in types:
                problems.append(f"{where}.{name}: unknown for kind {kind} (known: {', '.join(sorted(types))})")
            elif isinstance(value, bool) or not isinstance(value, types[name]):
                problems.append(f"{where}.{name}: has the wrong type ({type(value).__name__})")
    return problems


def run_checks(specs: Sequence[Mapping[str, Any]], evidence: Evidence) -> list[CheckResult]:
    """The built-in checks, then each of `specs`, in order, answered from `evidence`."""
    facts = evidence.facts()
    results = []
    for check_id, title, function in BUILT_IN:
        passed, message = function(evidence, facts)
        results.append(CheckResult(check_id, passed, message, title))
    if not facts.parses:  # nothing else can be read from a file that does not parse
        return results + [CheckResult(s["id"], False, "Not checked: the file does not parse.", s.get("title", ""))
                          for s in specs]
    for spec in specs:
        function, _, _ = KINDS[spec["kind"]]
        params = {k: v for k, v in spec.items() if k not in ("id", "title", "kind")}
        passed, message = function(evidence, facts, **params)
        results.append(CheckResult(spec["id"], passed, message, spec.get("title", "")))
    return results

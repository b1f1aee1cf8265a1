"""bench/swarm.py's reading of Locust's statistics and its verdict, on hand-made cases."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.dbfree

_spec = importlib.util.spec_from_file_location(
    "bench_swarm", Path(__file__).resolve().parents[2] / "bench" / "swarm.py")
swarm = importlib.util.module_from_spec(_spec)
sys.modules["bench_swarm"] = swarm
_spec.loader.exec_module(swarm)

HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
          "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
          "99.99%,100%\n")


def stats_file(tmp_path, rows: list[str]) -> Path:
    path = tmp_path / "swarm_stats.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def test_reads_every_endpoint_and_the_aggregate(tmp_path):
    path = stats_file(tmp_path, [
        "GET,/questions/[id]/,1200,0,12,15.5,3,180,9000,20.0,0.0,12,14,16,18,25,40,70,95,170,180,180",
        "POST,/api/v1/questions/[id]/grade,800,0,20,22.0,5,200,700,13.3,0.0,20,22,25,27,35,50,80,120,190,200,200",
        ",Aggregated,2000,0,15,18.0,3,200,5700,33.3,0.0,15,17,19,21,30,45,75,110,185,200,200",
    ])
    rows = swarm.read_stats(path)
    assert [r.name for r in rows] == ["/questions/[id]/", "/api/v1/questions/[id]/grade", "Aggregated"]
    assert rows[1].method == "POST" and rows[1].requests == 800 and rows[1].p99_ms == 120.0
    assert swarm.judge(rows) == (True, "2,000 requests, none failed, P99 110 ms < 150 ms")


def test_a_failure_or_a_slow_tail_fails(tmp_path):
    failed = swarm.read_stats(stats_file(tmp_path, [
        ",Aggregated,2000,3,15,18.0,3,200,5700,33.3,0.1,15,17,19,21,30,45,75,110,185,200,200"]))
    assert swarm.judge(failed) == (False, "3 of 2,000 requests failed")
    slow = swarm.read_stats(stats_file(tmp_path, [
        ",Aggregated,2000,0,15,18.0,3,900,5700,33.3,0.0,15,17,19,21,30,45,75,150,185,200,900"]))
    assert swarm.judge(slow) == (False, "P99 150 ms is not under 150 ms")
    empty = swarm.read_stats(stats_file(tmp_path, [",Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"]))
    assert swarm.judge(empty) == (False, "no requests were made")

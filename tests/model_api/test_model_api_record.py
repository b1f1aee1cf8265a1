"""`--record PATH`: one JSON line per answered request, with the token, the client and whether the body was valid."""

from __future__ import annotations

import json
import os

import httpx
import pytest
from model_api_helpers import TUTORIAL_HOUSE

from labs.model_api import record
from labs.model_api.record import Recorder, bearer_token


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_recorder_writes_whole_lines_in_batches(tmp_path, monkeypatch):
    """Lines stay in memory until 64 KB or half a second has passed; close() writes the rest."""
    monkeypatch.setattr(record, "FLUSH_S", 3600.0)
    path = tmp_path / "record.jsonl"
    recorder = Recorder(str(path), started_at=100.0)
    recorder.add({"t": 0.5, "path": "/a"})
    recorder.add({"t": 0.75, "path": "/b"})
    assert path.read_text() == ""
    recorder.close()
    assert read_lines(path) == [{"t": 0.5, "path": "/a"}, {"t": 0.75, "path": "/b"}]


def test_recorder_flushes_at_64_kb(tmp_path, monkeypatch):
    """A batch reaching FLUSH_BYTES is written at once, as whole lines."""
    monkeypatch.setattr(record, "FLUSH_S", 3600.0)
    path = tmp_path / "record.jsonl"
    recorder = Recorder(str(path), started_at=0.0)
    entry = {"t": 1.0, "pad": "x" * 1000}
    for _ in range(70):
        recorder.add(entry)
    written = path.read_text()
    assert written.endswith("\n")
    assert 64 <= written.count("\n") < 70
    recorder.close()
    assert len(read_lines(path)) == 70


def test_two_recorders_append_to_one_file(tmp_path):
    """Two workers share one record: O_APPEND keeps every line whole."""
    path = tmp_path / "record.jsonl"
    first, second = Recorder(str(path), 0.0), Recorder(str(path), 0.0)
    first.add({"w": 1})
    second.add({"w": 2})
    first.close()
    second.close()
    assert sorted(line["w"] for line in read_lines(path)) == [1, 2]


def test_started_at_comes_from_the_environment(tmp_path, monkeypatch):
    """Every worker measures t from the MODEL_API_STARTED_AT that `python -m labs.model_api` exported."""
    monkeypatch.setenv(record.STARTED_AT_ENV, "1234.5")
    recorder = Recorder(str(tmp_path / "r.jsonl"))
    assert recorder.started_at == 1234.5
    recorder.close()


@pytest.mark.parametrize(
    ("value", "token"),
    [(b"Bearer abc.def", "abc.def"), (b"bearer  tok ", "tok"), (b"Basic dXNlcg==", None), (b"Bearer ", None)],
)
def test_bearer_token(value, token):
    """Only a Bearer authorization yields a token."""
    assert bearer_token([(b"content-type", b"x"), (b"Authorization", value)]) == token
    assert bearer_token([]) is None


@pytest.mark.slow
@pytest.mark.dbfree
def test_a_real_server_records_each_request(model_api, tmp_path):
    """Valid, invalid and tokened requests each leave one line; stopping the server writes the last ones."""
    path = tmp_path / "record.jsonl"
    api = model_api("--record", str(path))
    with httpx.Client(base_url=api.url, timeout=10) as client:
        client.post("/predict", json=TUTORIAL_HOUSE, headers={"Authorization": "Bearer s3cret"})
        client.post("/predict", json={"sqft": 1500, "bedrooms": 3})
        client.post("/predict", content=b"sqft=1500", headers={"Content-Type": "application/x-www-form-urlencoded"})
        client.get("/healthz")
    api.stop()
    ours = read_lines(path)[-4:]  # before them: the start-up health checks of the test helper
    assert [(r["method"], r["path"], r["status"]) for r in ours] == [
        ("POST", "/predict", 200), ("POST", "/predict", 422), ("POST", "/predict", 422), ("GET", "/healthz", 200),
    ]
    assert ours[0]["token"] == "s3cret" and ours[0]["body_valid"] is True and ours[0]["error"] is None
    assert ours[1]["body_valid"] is False and "location" in ours[1]["error"]
    assert ours[2]["body_valid"] is False and "malformed JSON" in ours[2]["error"]
    assert ours[3]["token"] is None and ours[3]["body_valid"] is True
    assert all(r["client"].startswith("127.0.0.1:") for r in ours)
    times = [r["t"] for r in ours]
    assert times == sorted(times) and 0 < times[0] < 60


@pytest.mark.slow
@pytest.mark.dbfree
def test_injected_errors_are_recorded_with_their_reason(model_api, tmp_path):
    """A 500 from --error-rate is recorded with a valid body and the injected error's message."""
    path = tmp_path / "record.jsonl"
    api = model_api("--record", str(path), "--error-rate", "1")
    httpx.post(f"{api.url}/predict", json=TUTORIAL_HOUSE, timeout=10)
    api.stop()
    last = read_lines(path)[-1]
    assert last["status"] == 500 and last["body_valid"] is True
    assert last["error"]


def test_record_knob_is_off_by_default():
    """Without --record nothing is written and the start-up line does not mention it."""
    from labs.model_api.config import Config

    assert Config().record == ""
    assert "record=" not in Config().describe()
    assert "record=/x" in Config(record="/x").describe()
    assert os.environ.get("MODEL_API_RECORD") in (None, "")


RECORD_TO_FD = '''
import os, sys
from labs.model_api.record import Recorder
read_fd, write_fd = os.pipe()
recorder = Recorder(f"fd:{write_fd}", started_at=100.0)
import ctypes
print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))  # PR_GET_DUMPABLE
print(os.get_inheritable(write_fd))
recorder.add({"t": 0.5, "path": "/a"})
recorder.close()
print(os.read(read_fd, 1000).decode().strip())
try:
    os.fstat(write_fd)
    print("open")
except OSError:
    print("closed")
'''


def test_record_to_a_descriptor_makes_the_process_undumpable():
    """`fd:N`: the lines go to the inherited descriptor (a pipe), the process turns non-dumpable, N is closed."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", RECORD_TO_FD], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["0", "False", '{"t":0.5,"path":"/a"}', "closed"]


def test_record_to_a_bad_descriptor_is_refused():
    """A descriptor that is not open fails at once; `fd:` needs a number >= 3 and one worker."""
    from labs.model_api.config import Config

    with pytest.raises(OSError):
        Recorder("fd:987")
    assert Config(record="fd:5").errors() == []
    assert any("N >= 3" in e for e in Config(record="fd:1").errors())
    assert any("N >= 3" in e for e in Config(record="fd:x").errors())
    assert any("--workers 1" in e for e in Config(record="fd:5", workers=2).errors())

"""`make run`'s supervisord starts wherever the project is cloned, however deep the path."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quizsite.supervise import config

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_supervisord_starts_and_answers_supervisorctl_from_a_deeply_nested_clone(tmp_path):
    """A run directory whose socket path would pass the Unix limit (107 bytes) still gives a working
    supervisord: the socket goes to the temporary directory instead, and supervisorctl reaches it."""
    run_dir = tmp_path / ("deep-" * 12) / "clone" / "var" / "run"
    run_dir.mkdir(parents=True)
    assert len(str(run_dir / "supervisor.sock")) > 107
    conf = run_dir / "supervisord.conf"
    conf.write_text(config(run_dir, {"idle": (f"{sys.executable} -c 'import time; time.sleep(600)'", 5)}))
    process = subprocess.Popen([str(BIN / "supervisord"), "--nodaemon", "--configuration", str(conf)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = ""
        deadline = time.monotonic() + 60
        while "RUNNING" not in status and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
            status = subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), "status", "idle"],
                                    capture_output=True, text=True, timeout=30).stdout
        assert "RUNNING" in status, (status, process.poll())
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output


def test_make_run_starts_one_lab_worker_per_slot(tmp_path, monkeypatch):
    """LAB_SLOTS=3: supervisord starts three labs_worker processes (the web stays one program); unset, one."""
    monkeypatch.setenv("LAB_SLOTS", "3")
    web, worker = config(tmp_path).split("[program:web]")[1].split("[program:worker]")
    assert "numprocs" not in web
    assert "numprocs=3\n" in worker and "process_name=%(program_name)s-%(process_num)d" in worker
    monkeypatch.delenv("LAB_SLOTS")
    assert "numprocs" not in config(tmp_path)

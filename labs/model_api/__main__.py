"""`python -m labs.model_api [--host H] [--port P] [knobs]`: validate the knobs and serve with uvicorn.

Invalid knobs print every problem and exit with status 2. Otherwise one line with the effective config is
printed, the config is exported as `MODEL_API_*` variables for the workers, a fresh directory is created
for multiprocess metrics (`PROMETHEUS_MULTIPROC_DIR`, removed at exit unless it was given), and uvicorn
serves `labs.model_api.app:app_from_env` with uvloop, httptools and no access log.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence

from labs.model_api.config import Config, ConfigError
from labs.model_api.record import STARTED_AT_ENV

PROG = "python -m labs.model_api"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = Config.from_args(argv)
    except ConfigError as exc:
        for message in exc.messages:
            print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2

    given_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = given_dir or tempfile.mkdtemp(prefix="model-api-metrics-")
    os.makedirs(metrics_dir, exist_ok=True)
    os.environ.update(config.to_env())
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ.setdefault(STARTED_AT_ENV, repr(time.time()))  # the records' t = 0, shared by the workers
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # one worker, one core: no hidden BLAS threads

    import uvicorn  # after the environment is ready: workers inherit it

    print(f"{config.describe()} pid={os.getpid()}", flush=True)
    # uvicorn re-raises SIGTERM once it has shut down gracefully; turning it into SystemExit lets the
    # `finally` below remove the metrics directory instead of dying mid-way.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(
            "labs.model_api.app:app_from_env",
            factory=True,
            host=config.host,
            port=config.port,
            workers=config.workers,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            proxy_headers=False,  # nothing proxies this server
            log_level=config.log_level,
            timeout_graceful_shutdown=3,
        )
    finally:
        if not given_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the LLM endpoint's TTFT, ITL and tokens/s at 1, B and 2B concurrent streams (B = max batch).

    .venv/bin/python bench/llm.py [--max-batch 8] [--prefill-ms-per-token 0.25] [--decode-ms-base 20]
                                  [--decode-ms-per-seq 2] [--max-tokens 64] [--rounds 3]

Starts `python -m labs.model_api` with those knobs on a free 127.0.0.1 port, then for each concurrency runs
that many closed-loop streaming clients (httpx), each streaming `--rounds` completions of a 200-token
prompt one after the other, and prints TTFT P50/P99, ITL P50/P99 (every gap between two tokens) and
tokens/s, plus the ratios that matter: tokens/s at B over 1 stream (batching pays), at 2B over B (it stops
paying: the extra streams only queue). Exits 1 when B/1 < 2 or 2B/B falls outside 0.7..1.35.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "model_api"))

from llm_streams import measure
from model_api_helpers import start_model_api


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--prefill-ms-per-token", type=float, default=0.25)
    parser.add_argument("--decode-ms-base", type=float, default=20.0)
    parser.add_argument("--decode-ms-per-seq", type=float, default=2.0)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    batch = args.max_batch
    flags = ["--llm-max-batch", str(batch), "--llm-max-queue", str(2 * batch),
             "--llm-prefill-ms-per-token", f"{args.prefill_ms_per_token:g}",
             "--llm-decode-ms-base", f"{args.decode_ms_base:g}", "--llm-decode-ms-per-seq", f"{args.decode_ms_per_seq:g}"]
    print(f"knobs: {' '.join(flags)}; 200-token prompts, max_tokens {args.max_tokens}, {args.rounds} per stream")
    with tempfile.TemporaryDirectory() as tmp:
        api = start_model_api(*flags, tmp_dir=Path(tmp))
        try:
            rows = {n: measure(api.url, n, args.rounds, args.max_tokens) for n in (1, batch, 2 * batch)}
        finally:
            api.stop()
    print(f"{'streams':>8} {'TTFT P50':>10} {'TTFT P99':>10} {'ITL P50':>9} {'ITL P99':>9} {'tokens/s':>9} {'errors':>7}")
    for n, m in rows.items():
        errors = len(m.streams) - len(m.ok)
        print(f"{n:>8} {m.ttft_ms(50):>8.1f}ms {m.ttft_ms(99):>8.1f}ms {m.itl_ms(50):>7.1f}ms "
              f"{m.itl_ms(99):>7.1f}ms {m.tokens_per_s:>9.1f} {errors:>7}")
    scale = rows[batch].tokens_per_s / rows[1].tokens_per_s
    plateau = rows[2 * batch].tokens_per_s / rows[batch].tokens_per_s
    itl = rows[batch].itl_ms(50) / rows[1].itl_ms(50)
    print(f"tokens/s {batch} / 1 = {scale:.2f}; {2 * batch} / {batch} = {plateau:.2f}; ITL P50 {batch} / 1 = {itl:.2f}")
    return 0 if scale >= 2 and 0.7 <= plateau <= 1.35 else 1


if __name__ == "__main__":
    sys.exit(main())

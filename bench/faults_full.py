"""Full mode of the fault harness (tests/faults): prints what each part found.

    .venv/bin/python bench/faults_full.py                 # crash loop (1,000 kills) + fuzz (2,000)
    .venv/bin/python bench/faults_full.py --only crash --kills 1000 --seed 11
    .venv/bin/python bench/faults_full.py --only fuzz --cases 2000

Same code as the CI quick mode (``pytest tests/faults``), with the full counts; also
reachable as ``FIELDKIT_FAULTS=full .venv/bin/python -m pytest tests/faults``.
Exit status 1 if any part found a problem.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "faults"), str(ROOT / "tests" / "sync")]

from harness import make_zygote  # noqa: E402


def crash(kills: int, seed: int, workdir: Path, zygote: object,
          deadline_min: float | None) -> bool:
    from crashloop import run_crash_loop

    t0 = time.monotonic()
    result = run_crash_loop(workdir / "crash", kills=kills, seed=seed, zygote=zygote,
                            log=lambda s: print("  " + s, flush=True),
                            deadline_s=deadline_min * 60 if deadline_min else None)
    print(json.dumps(result, indent=1))
    ok = not result["problems"] and not result["errors"] and result["kills"] >= kills
    print(f"crash loop: {result['kills']} kills ({result['kills_station']} station servers, "
          f"{result['kills_sync']} `fieldkit sync` runs, {result['kills_aggregator']} aggregator) "
          f"in {time.monotonic() - t0:.0f} s; {result['aggregator_rows']} submissions at the "
          f"aggregator {result['outcomes']}; acknowledged {result['acked']}, killed while "
          f"ending {result['uncertain']}, in progress at a kill {result['in_progress_at_kill']}, "
          f"starts in flight {result['orphans']}; problems: {len(result['problems'])} -> "
          f"{'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def fuzz(cases: int, seed: int, workdir: Path, zygote: object) -> bool:
    from fuzzsync import run_fuzz

    t0 = time.monotonic()
    result = run_fuzz(workdir / "fuzz", cases=cases, seed=seed, zygote=zygote)
    print(json.dumps(result, indent=1))
    ok = not result["problems"]
    print(f"fuzz: {result['cases']} cases over {result['operations']} in "
          f"{time.monotonic() - t0:.0f} s; statuses {result['statuses']}; problems: "
          f"{len(result['problems'])} -> {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["crash", "fuzz"])
    ap.add_argument("--kills", type=int, default=1000)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--deadline-min", type=float, default=None,
                    help="stop killing after this many minutes (then settle and check)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))   # still stop the servers
    zygote = make_zygote()
    ok = True
    try:
        with tempfile.TemporaryDirectory(prefix="fk-faults-") as tmp:
            if args.only in (None, "crash"):
                ok &= crash(args.kills, args.seed, Path(tmp), zygote, args.deadline_min)
            if args.only in (None, "fuzz"):
                ok &= fuzz(args.cases, args.seed, Path(tmp), zygote)
    finally:
        if zygote is not None:
            zygote.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Loading + linting the study's forms, against plain YAML parsing of the same files.

    .venv/bin/python bench/bench_forms.py [FORMS_DIR]

For every form file (default: forms/) it measures, best of several runs:

- ``yaml.safe_load`` of the file's text (the reference: the least any loader must do);
- ``load_form`` (read, YAML, marshmallow schema, cross-checks, expressions, hash);
- ``lint_form`` on the loaded form (every rule family);
- load + lint together, as ``fieldkit forms lint`` does,

and prints milliseconds and the ratio to ``yaml.safe_load``, per form and in total,
then the time each rule family takes over all forms. Also the review packet rendering
time per form, for the IRB workflow (not a hot path).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from fieldkit.forms import load_form  # noqa: E402
from fieldkit.forms.lint import RULES, lint_form  # noqa: E402
from fieldkit.forms.review import render_packet  # noqa: E402


def best(fn: Callable[[], object], repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parents[1] / "forms"
    paths = sorted(root.glob("*.yaml"))
    if not paths:
        sys.exit(f"no forms in {root}")
    rounds = 15
    print(f"{len(paths)} forms in {root}; best of {rounds} interleaved rounds; times in ms\n")
    print(f"{'form':24} {'KB':>5} {'qs':>4} {'yaml':>7} {'load':>7} {'lint':>7} "
          f"{'load+lint':>9} {'ratio':>6} {'packet':>7}")
    texts = {p: p.read_text(encoding="utf-8") for p in paths}
    forms = [load_form(p) for p in paths]
    best_t: dict[tuple[Path, str], float] = {}

    def keep(path: Path, key: str, fn: Callable[[], object]) -> None:
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best_t[path, key] = min(best_t.get((path, key), took), took)

    # interleaved rounds: a busy machine slows every measure alike, not one of them
    for _ in range(rounds):
        for path, form in zip(paths, forms):
            keep(path, "yaml", lambda: yaml.safe_load(texts[path]))
            keep(path, "load", lambda: load_form(path))
            keep(path, "lint", lambda: lint_form(form))
            keep(path, "both", lambda: lint_form(load_form(path)))
    totals = {"yaml": 0.0, "load": 0.0, "lint": 0.0, "both": 0.0, "packet": 0.0}
    for path, form in zip(paths, forms):
        t_packet = best(lambda: render_packet(form), repeats=3)
        t = {k: best_t[path, k] for k in ("yaml", "load", "lint", "both")}
        for key in t:
            totals[key] += t[key]
        totals["packet"] += t_packet
        print(f"{path.stem:24} {len(texts[path].encode()) / 1024:5.0f} "
              f"{len(form.all_questions):4d} {t['yaml'] * 1e3:7.2f} {t['load'] * 1e3:7.2f} "
              f"{t['lint'] * 1e3:7.2f} {t['both'] * 1e3:9.2f} {t['both'] / t['yaml']:5.2f}x "
              f"{t_packet * 1e3:7.1f}")
    print(f"{'total':24} {'':5} {'':4} {totals['yaml'] * 1e3:7.2f} {totals['load'] * 1e3:7.2f} "
          f"{totals['lint'] * 1e3:7.2f} {totals['both'] * 1e3:9.2f} "
          f"{totals['both'] / totals['yaml']:5.2f}x {totals['packet'] * 1e3:7.1f}")
    print(f"\nload alone is {totals['load'] / totals['yaml']:.2f}x yaml.safe_load; "
          f"lint alone is {totals['lint'] / totals['yaml']:.2f}x.")
    print("\nper rule family, all forms (ms):")
    for rule in RULES:
        t = best(lambda: [list(rule.check(f)) for f in forms])
        print(f"  {rule.__name__.rsplit('.', 1)[-1]:14} {t * 1e3:7.2f}")


if __name__ == "__main__":
    main()

"""PII redactor: precision and recall on the labelled corpus, and throughput.

    .venv/bin/python bench/bench_redactor.py

Quality: entity-level precision/recall (a found span counts when it overlaps a gold
span of the same kind) on ``tests/data/redaction_corpus.tsv`` -- overall, per kind and
per language, plus the false positives on the "must not redact" lines. Throughput:
``redact()`` over the whole corpus, in lines and characters per second, and as a ratio
to a reference pass measured in the same run (one ``re.finditer`` for 10-digit runs
over the same text: the cheapest conceivable phone-only redactor).
"""

from __future__ import annotations

import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fieldkit.privacy import parse_marked, redact, score  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CORPUS = DATA / "redaction_corpus.tsv"
HOLDOUT = DATA / "redaction_holdout.tsv"


def load(path: Path = CORPUS) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            _, lang, cat, text = line.split("\t")
            rows.append((lang, cat, text))
    return rows


def best(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rows = load()
    result = score(r[2] for r in rows)
    o = result["overall"]
    print(f"corpus: {len(rows)} lines, {int(o['tp'] + o['fn'])} gold identifiers, "
          f"{sum(r[1].startswith('neg-') for r in rows)} negative lines")
    print(f"overall: precision {o['precision']:.3f}  recall {o['recall']:.3f}  "
          f"(exact boundaries {o['exact'] / max(1, o['tp']):.3f} of hits)")
    print(f"\n{'kind':10} {'gold':>5} {'tp':>4} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>7}")
    for kind, k in result["kinds"].items():
        print(f"{kind:10} {int(k['tp'] + k['fn']):5d} {int(k['tp']):4d} {int(k['fp']):3d} "
              f"{int(k['fn']):3d} {k['precision']:9.3f} {k['recall']:7.3f}")
    by_lang = defaultdict(list)
    for lang, _, text in rows:
        by_lang[lang].append(text)
    print(f"\n{'lang':8} {'lines':>5} {'precision':>9} {'recall':>7}")
    for lang, texts in sorted(by_lang.items()):
        s = score(texts)["overall"]
        print(f"{lang:8} {len(texts):5d} {s['precision']:9.3f} {s['recall']:7.3f}")
    negatives = [parse_marked(t)[0] for _, c, t in rows if c.startswith("neg-")]
    fp_lines = [t for t in negatives if redact(t).spans]
    print(f"\nnegative lines redacted by mistake: {len(fp_lines)} of {len(negatives)}")
    for kind, what, text in result["errors"]:
        print(f"  {kind}: {what}: {text!r}")

    held = load(HOLDOUT)
    h = score(r[2] for r in held)
    ho = h["overall"]
    print(f"\nholdout ({len(held)} lines written after the recognizers, "
          f"{int(ho['tp'] + ho['fn'])} identifiers): precision {ho['precision']:.3f}  "
          f"recall {ho['recall']:.3f}")
    for kind, what, text in h["errors"]:
        print(f"  {kind}: {what}: {text!r}")

    plain = [parse_marked(r[2])[0] for r in rows]
    chars = sum(map(len, plain))
    t_redact = best(lambda: [redact(t) for t in plain])
    ten = re.compile(r"(?<!\d)\d{10}(?!\d)")
    t_ref = best(lambda: [ten.sub("[PHONE]", t) for t in plain])
    print(f"\nthroughput: {len(plain) / t_redact:,.0f} lines/s, {chars / t_redact / 1e6:.2f} M "
          f"chars/s ({t_redact / len(plain) * 1e6:.1f} us/line); reference single-regex pass "
          f"{t_ref / len(plain) * 1e6:.2f} us/line; ratio {t_redact / t_ref:.0f}x")
    long_text = " ".join(plain) * 4
    t_long = best(lambda: redact(long_text), 3)
    print(f"one {len(long_text) / 1000:.0f}k-char answer: {t_long * 1e3:.1f} ms")


if __name__ == "__main__":
    main()

"""Tagging quality and speed.

Quality: per-tag precision and recall on the hand-labelled set
``tests/data/labelled.jsonl`` (pillars, document types, issuers, places,
audiences) and language accuracy on items of 40 characters or more.

Speed: items/s over 20,000 items on one core, language detection included,
side by side with a bare baseline (langdetect alone on the same texts), so the
ratio says what the rest of tagging costs.

    python bench/tagging.py [--items 20000] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicator.domain import ItemKind, TaskFields  # noqa: E402
from syndicator.tagging.language import LanguageDetector  # noqa: E402
from syndicator.tagging.taggers import Subject, Tools, tag  # noqa: E402
from syndicator.tagging.taxonomy import load_taxonomy  # noqa: E402

CATEGORIES = {"pillars": "pillar", "doc_type": "doc", "issuers": "issuer", "places": "place", "audiences": "audience"}
TARGETS = {"pillar": (0.95, 0.90), "doc": (0.95, 0.90), "issuer": (0.95, 0.90), "place": (0.95, 0.90)}


def subject_of(row: dict[str, Any]) -> Subject:
    kind = ItemKind(row["kind"])
    task = TaskFields(task_code=row["id"]) if kind is ItemKind.TASK else None
    return Subject(
        source="labelled", kind=kind, title=row["title"], summary=row.get("summary") or None,
        content=row.get("text") or None, language=row.get("source_language"), doc_number=row.get("doc_number"),
        task=task,
    )


def expected_tags(row: dict[str, Any]) -> set[str]:
    labels = row["labels"]
    out: set[str] = set()
    for key, prefix in CATEGORIES.items():
        value = labels.get(key)
        values = [value] if isinstance(value, str) else (value or [])
        out.update(f"{prefix}:{v}" for v in values)
    return out


def quality(rows: list[dict[str, Any]], tools: Tools, show_errors: bool) -> tuple[bool, dict[str, Any]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    lang_ok = lang_n = 0
    errors: list[str] = []
    for row in rows:
        got_tags = tag(subject_of(row), tools)
        got = {t.name for t in got_tags if t.name.split(":")[0] in CATEGORIES.values()}
        want = expected_tags(row)
        for name in got & want:
            tp[name] += 1
        for name in got - want:
            fp[name] += 1
        for name in want - got:
            fn[name] += 1
        if show_errors and got != want:
            why = {t.name: t.rule for t in got_tags if t.name in got - want}
            errors.append(f"{row['id']} {row['title'][:70]!r}\n    extra {sorted(got - want)} {why}\n    missing {sorted(want - got)}")
        text = " ".join(x for x in (row["title"], row.get("summary") or "", row.get("text") or "") if x)
        if len(text) >= 40:
            lang_n += 1
            lang = next(t.name for t in got_tags if t.name.startswith("lang:"))
            lang_ok += lang == f"lang:{row['language']}"
    ok = True
    report: dict[str, Any] = {}
    print(f"{'category':<10} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>4} {'fn':>4}  target")
    for prefix in CATEGORIES.values():
        t = sum(v for k, v in tp.items() if k.startswith(prefix + ":"))
        f_p = sum(v for k, v in fp.items() if k.startswith(prefix + ":"))
        f_n = sum(v for k, v in fn.items() if k.startswith(prefix + ":"))
        p = t / (t + f_p) if t + f_p else 1.0
        r = t / (t + f_n) if t + f_n else 1.0
        target = TARGETS.get(prefix)
        met = "" if target is None else ("met" if p >= target[0] and r >= target[1] else "NOT MET")
        ok = ok and met != "NOT MET"
        report[prefix] = {"precision": round(p, 3), "recall": round(r, 3)}
        print(f"{prefix:<10} {p:>9.3f} {r:>7.3f} {t:>5} {f_p:>4} {f_n:>4}  "
              + (f"P≥{target[0]} R≥{target[1]} {met}" if target else "(no target)"))
    acc = lang_ok / lang_n if lang_n else 1.0
    report["language_accuracy"] = round(acc, 4)
    print(f"language accuracy on {lang_n} items of ≥40 chars: {acc:.4f} (target ≥0.98) "
          + ("met" if acc >= 0.98 else "NOT MET"))
    ok = ok and acc >= 0.98
    print("\nper tag (tags with errors):")
    for name in sorted(set(fp) | set(fn)):
        print(f"  {name:<40} tp={tp[name]:<3} fp={fp[name]:<3} fn={fn[name]:<3}")
    if show_errors:
        print("\n" + "\n".join(errors))
    return ok, report


def speed(rows: list[dict[str, Any]], tools: Tools, n: int, repeat: int) -> dict[str, float]:
    subjects = [subject_of(rows[i % len(rows)]) for i in range(n)]
    texts = [f"{s.title}. {s.body_text[:600]}" for s in subjects]
    tag(subjects[0], tools)  # warm-up: profiles and matchers loaded
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    bare = DetectorFactory()
    bare.load_profile(PROFILES_DIRECTORY)
    bare.set_seed(0)

    def ours() -> float:
        fresh = [subject_of(rows[i % len(rows)]) for i in range(n)]  # no cached tokens from an earlier run
        t0 = time.perf_counter()
        for s in fresh:
            tag(s, tools)
        return n / (time.perf_counter() - t0)

    def baseline() -> float:
        t0 = time.perf_counter()
        for text in texts:
            d = bare.create()
            d.append(text)
            d.detect()
        return n / (time.perf_counter() - t0)

    ours_runs = [ours() for _ in range(repeat)]
    base_runs = [baseline() for _ in range(max(1, repeat // 2))]
    return {"ours": statistics.median(ours_runs), "langdetect_only": statistics.median(base_runs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--labelled", default=str(ROOT / "tests" / "data" / "labelled.jsonl"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.labelled).read_text(encoding="utf-8").splitlines() if line.strip()]
    tools = Tools(load_taxonomy(ROOT / "config" / "taxonomy.toml"), LanguageDetector())
    print(f"labelled set: {len(rows)} items\n")
    ok, _ = quality(rows, tools, args.show_errors)
    rates = speed(rows, tools, args.items, args.repeat)
    print(f"\nspeed over {args.items} items, one core, median of {args.repeat}:")
    print(f"  our tagging (all taggers incl. language): {rates['ours']:>8.0f} items/s (target ≥1000) "
          + ("met" if rates["ours"] >= 1000 else "NOT MET"))
    print(f"  bare langdetect (55 profiles) alone:       {rates['langdetect_only']:>8.0f} items/s")
    print(f"  ratio ours / bare langdetect: {rates['ours'] / rates['langdetect_only']:.2f}×")
    return 0 if ok and rates["ours"] >= 1000 else 1


if __name__ == "__main__":
    sys.exit(main())

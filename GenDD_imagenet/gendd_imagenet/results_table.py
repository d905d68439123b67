"""The results table (``results/imagenet.md``): one Markdown row per evaluated run.

A row is identified by (setting, method, teacher, student, seed, checkpoint): evaluating the
same checkpoint again refreshes its row, any other run (another trial, even with the same seed)
adds one. Rows are kept sorted. The eval scripts call ``upsert`` (``--results_table``); the
table can also be rebuilt from their JSON reports:

    python -m gendd_imagenet.results_table --table results/imagenet.md save/**/eval_*.json

There a report that is missing or unreadable is named and skipped; when none can be read, or
the table is not one of this version, the command fails (exit 2) and the table stays as it was.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import tempfile

COLUMNS = ("setting", "method", "teacher", "student", "sampled", "probe", "logits", "many / medium / few",
           "sampling", "epochs", "seed", "checkpoint")
KEY = ("setting", "method", "teacher", "student", "seed", "checkpoint")
TITLE = "# ImageNet results (top-1 %, on the evaluation split of each setting)"
NOTE = ("sampled: teacher classifier on the mean of S sampled features (sampling = S draws x K steps); "
        "probe: the student's linear probe; logits: the student's own classifier (baselines, teachers); "
        "many / medium / few: ImageNet-LT shot groups of the first of those; '-': not applicable. "
        "Evaluation split: ImageNet's 50,000-image val set (its usual test set) for ImageNet and CC3M, "
        "ImageNet_LT_test.txt for ImageNet-LT; another list file is named in the setting.")


def cell(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "/").replace("\n", " ")


def read_rows(path: str) -> list[dict[str, str]]:
    """The rows of an existing table (empty when there is none)."""
    if not os.path.isfile(path):
        return []
    rows = []
    with open(path) as fh:
        lines = [line.strip() for line in fh if line.strip().startswith("|")]
    if not lines:
        return []
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    if tuple(header) != COLUMNS:
        raise ValueError(f"{path!r} is not a results table of this version (columns {header}); move it away")
    for line in lines[2:]:
        rows.append(dict(zip(COLUMNS, (c.strip() for c in line.strip("|").split("|")))))
    return rows


def render(rows: list[dict[str, str]]) -> str:
    lines = [TITLE, "", NOTE, "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.get(c, "-") for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def merge(rows: list[dict[str, str]], row: dict) -> list[dict[str, str]]:
    """``rows`` with ``row`` added, or replacing the row of the same run; sorted."""
    new = {c: cell(row.get(c)) for c in COLUMNS}
    kept = [r for r in rows if tuple(r[k] for k in KEY) != tuple(new[k] for k in KEY)]
    return sorted(kept + [new], key=lambda r: tuple(r[k] for k in KEY))


def upsert(path: str, row: dict) -> None:
    """Add or refresh ``row`` in the table at ``path`` (atomic write, serialised by a lock file)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = render(merge(read_rows(path), row))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-results-", dir=folder)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)


def read_report_rows(paths: list[str]) -> tuple[list[dict], list[str]]:
    """(rows of the readable reports, one line per report that could not be read)."""
    rows, problems = [], []
    for report in paths:
        try:
            with open(report) as fh:
                row = json.load(fh)["row"]
            if not isinstance(row, dict):
                raise TypeError("'row' is not an object")
            rows.append(row)
        except (OSError, ValueError, KeyError, TypeError) as err:
            problems.append(f"{report}: {type(err).__name__}: {err}")
    return rows, problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="add/refresh rows of the results table from eval JSON reports")
    p.add_argument("--table", default="results/imagenet.md")
    p.add_argument("reports", nargs="+", help="eval_*.json files written by the --evaluate runs")
    args = p.parse_args(argv)
    rows, problems = read_report_rows(args.reports)
    for problem in problems:
        print(f"warning: skipped report {problem}", file=sys.stderr)
    try:
        read_rows(args.table)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: none of the {len(args.reports)} report(s) could be read; {args.table} is left as it was. "
              f"Pass the eval_*.json files written by the --evaluate runs", file=sys.stderr)
        return 2
    for row in rows:
        upsert(args.table, row)
    print(f"{args.table}: {len(read_rows(args.table))} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Evaluate every finished run under --save_dir and write the results table.

The runs are those of ``student_<method>`` folders of a registered student-alone, baseline or
GenDD method (``gendd.cli.methods``; stage-1 runs are not reported). A run is finished when its
folder holds ``summary.json`` and ``final.pth``. GenDD runs are
(re-)evaluated on the test set with the given sampling settings (``num_sampling`` 5 by
default), their random draws seeded with the run's own seed (its config.yaml), so that the
same final.pth gives the same number on every call. The result is cached next to
``final.pth`` under a key of every setting that changes it (sampler, steps, draws, guidance,
temperature, η, test subset, seed) and reused only while final.pth is the same file (size and
modification time); a cache file that cannot be read is evaluated again, with a warning.
Baselines report the final test accuracy (the last
epoch's evaluation, or ``test.json`` when a validation split was held out: a run without it
is marked, never shown with its validation accuracy). One row per run (trial), plus mean ±
std under a group of several trials. The headline is the last epoch; the best epoch during
training is shown apart, labelled with the split it was chosen on. Unfinished and
unreadable runs are listed under the table; a --save_dir that is no folder or holds no
readable finished run is an error (exit 2) that leaves the existing table as it was.
"""
import argparse
import json
import os
import statistics
import sys
from collections import defaultdict

import torch
import yaml

from gendd.cli import UserError, main_guard, trial_seed
from gendd.engine import init_distributed
from gendd.engine.checkpoint import atomic_write_text
from gendd.cli.checked_parser import CheckedParser
from gendd.cli.gendd import add_sampling_args, eval_tag
from gendd.cli.methods import methods
from gendd.distillers import get as get_method
from gendd_cifar.data_args import build_data
from gendd_cifar.evaluation import evaluate_gendd
from gendd_cifar.models import build_model
from gendd_cifar.teachers import infer_arch
from gendd.validation import NON_NEGATIVE, checked

SAMPLING_KEYS = ("sampler", "sampling_steps", "num_sampling", "cfg_scale", "temperature", "eta")


def parse(argv: list[str] | None = None):
    p = CheckedParser(description=__doc__)
    p.add_argument("--save_dir", default="save")
    p.add_argument("--dataset", default="cifar100")
    p.add_argument("--out", default=None, help="Markdown table (default: results/<dataset>.md)")
    p.add_argument("--device", default="auto")
    checked(p.add_argument("--num_workers", type=int, default=4), NON_NEGATIVE)
    add_sampling_args(p)
    p.set_defaults(num_sampling=5)
    return p.parse_args(argv)


def fingerprint(path: str) -> dict:
    """What identifies a checkpoint file's version: its size and modification time."""
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def scan_runs(save_dir: str, dataset: str) -> tuple[list, list]:
    """([(method, run, cfg)] of the finished runs of ``dataset``, [(run, why it is left out)])."""
    if not os.path.isdir(save_dir):
        raise UserError(f"--save_dir {save_dir!r} (SAVE_DIR) is no folder: point it at the folder that holds "
                        f"student_<method>/<run> folders; the results table is left as it was")
    finished, left_out = [], []
    reported = methods(("student", "baseline", "gendd"))
    for method_dir in sorted(os.listdir(save_dir)):
        folder, method = os.path.join(save_dir, method_dir), method_dir.removeprefix("student_")
        if not method_dir.startswith("student_") or method not in reported or not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            run = os.path.join(folder, name)
            try:
                with open(os.path.join(run, "config.yaml")) as fh:
                    cfg = yaml.safe_load(fh)
                if not isinstance(cfg, dict):
                    raise ValueError("config.yaml holds no flags")
            except (OSError, ValueError, yaml.YAMLError) as err:
                left_out.append((run, f"unreadable config.yaml ({str(err).splitlines()[0]})"))
                continue
            if cfg.get("dataset") != dataset:
                continue
            missing = [f for f in ("summary.json", "final.pth") if not os.path.isfile(os.path.join(run, f))]
            if missing:
                left_out.append((run, f"not finished (no {', '.join(missing)})"))
            else:
                finished.append((method, run, cfg))
    return finished, left_out


def read_json(path):
    if os.path.isfile(path):
        with open(path) as fh:
            return json.load(fh)
    return None


def run_seed(cfg: dict) -> int:
    """The seed the run trained with (config.yaml; a folder from before it was recorded: its trial's)."""
    seed = cfg.get("seed")
    return int(seed) if isinstance(seed, int) else trial_seed(cfg.get("trial", "0"))


def read_cache(path: str) -> dict | None:
    """A cached evaluation, or None when there is none or it cannot be read (then said on stderr)."""
    try:
        cached = read_json(path)
        if cached is None or isinstance(cached, dict):
            return cached
        problem = f"holds a {type(cached).__name__}"
    except (OSError, ValueError) as err:
        problem = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    print(f"warning: cached evaluation {path!r} cannot be read ({problem}): the run is evaluated again",
          file=sys.stderr)
    return None


def gendd_test_accuracy(run, cfg, args, env) -> dict:
    """Sampled/probe test accuracy of the run's final.pth with the requested sampling settings,
    its draws seeded with the run's seed; the cached result is reused only while it belongs to
    this very final.pth and to the same settings (``key``)."""
    final = os.path.join(run, "final.pth")
    run_args = argparse.Namespace(**cfg)
    run_args.test_subset = 0
    for name in SAMPLING_KEYS:
        setattr(run_args, name, getattr(args, name))
    key = {name: getattr(run_args, name) for name in (*SAMPLING_KEYS, "test_subset")} | {"seed": run_seed(cfg)}
    cache = os.path.join(run, eval_tag(run_args) + ".json")
    cached = read_cache(cache)
    if cached is not None and cached.get("checkpoint") == fingerprint(final) and cached.get("key") == key:
        return cached
    run_args.resume, run_args.num_workers = final, args.num_workers
    data = build_data(run_args, env)
    student = build_model(run_args.model_s, data.num_classes)
    torch.manual_seed(key["seed"])   # the sampler's draws (noise, per step) come from torch's generator
    result = dict(evaluate_gendd(run_args, env, data, student, None, run), checkpoint=fingerprint(final), key=key)
    if env.is_main:
        atomic_write_text(json.dumps(result, indent=2), cache)
    return result


def baseline_test_top1(run, cfg) -> float | None:
    """The final test accuracy: test.json after a run with a validation split (None when it is
    missing), else the last epoch's evaluation, which was on the test set."""
    if cfg.get("val_split"):
        return (read_json(os.path.join(run, "test.json")) or {}).get("top1")
    return read_json(os.path.join(run, "summary.json"))["last"].get("top1")


def row_values(method, run, cfg, args, env) -> dict:
    summary = read_json(os.path.join(run, "summary.json"))
    values = {"best": summary["best"], "last_epoch": summary["last_epoch"],
              "split": "val" if cfg.get("val_split") else "test", "trial": cfg.get("trial"),
              "teacher_top1": (read_json(os.path.join(run, "teacher.json")) or {}).get("top1")}
    if get_method(method).family == "gendd":
        res = gendd_test_accuracy(run, cfg, args, env)
        values.update(top1=res.get("sampled_top1"), probe=res.get("probe_top1"))
    else:
        values.update(top1=baseline_test_top1(run, cfg), probe=None)
    return values


def fmt(xs) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}" if len(xs) > 1 else f"{xs[0]:.2f}"


def table(rows: dict, args, left_out: list) -> str:
    """A row per run (trial); a mean ± std row under a group of several trials; the runs left out."""
    lines = ["| teacher (top-1) | student | method | top-1, last epoch (test) | GenDD probe | best during training "
             "(epoch, split) | epochs | trial |", "|---|---|---|---|---|---|---|---|"]
    for (teacher, student, method), vals in sorted(rows.items()):
        for v in sorted(vals, key=lambda v: str(v["trial"])):
            best = (f"{v['best'].get('value', float('nan')):.2f} (ep {v['best'].get('epoch')}, {v['split']}, "
                    f"{v['best'].get('metric')})")
            top1 = fmt([v["top1"]]) if v["top1"] is not None else "no final test (test.json missing)"
            lines.append(f"| {teacher} ({fmt([v['teacher_top1']])}) | {student} | {method} | {top1} | "
                         f"{fmt([v['probe']])} | {best} | {v['last_epoch']} | {v['trial']} |")
        if len(vals) > 1:
            lines.append(f"| {teacher} | {student} | {method} | {fmt(v['top1'] for v in vals)} | "
                         f"{fmt(v['probe'] for v in vals)} | | | mean ± std of {len(vals)} |")
    note = (f"\nGenDD top-1: sampled path, {args.num_sampling} draw(s), {args.sampler} sampler, "
            f"{args.sampling_steps} steps, guidance {args.cfg_scale:g}; probe: the linear probe on the "
            f"student feature (no sampling). 'best during training' is the best evaluation seen while "
            f"training, on the split named (choosing it on the test set is optimistic); the headline is "
            f"the last epoch on the test set.\n")
    if left_out:
        note += "\nRuns left out of the table:\n" + "".join(f"- {run}: {why}\n" for run, why in left_out)
    return "\n".join(lines) + "\n" + note


def main():
    args = parse()
    env = init_distributed(args.device)
    out = args.out or os.path.join("results", f"{args.dataset}.md")
    finished, left_out = scan_runs(args.save_dir, args.dataset)
    rows = defaultdict(list)
    for method, run, cfg in finished:
        try:
            teacher = cfg.get("arch_t") or (infer_arch(cfg["path_t"]) if cfg.get("path_t") else None) or "–"
            rows[(teacher, cfg["model_s"], method)].append(row_values(method, run, cfg, args, env))
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as err:
            left_out.append((run, f"unreadable ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"))
    for run, why in left_out:
        print(f"warning: {run} left out of the table: {why}", file=sys.stderr)
    if not rows:
        raise UserError(f"no finished {args.dataset} run under --save_dir {args.save_dir!r} could be read; "
                        f"{out} is left as it was. Train a run first or check SAVE_DIR/DATASET")
    text = f"# {args.dataset} results\n\n" + table(rows, args, left_out)
    if env.is_main:
        atomic_write_text(text, out)
        print(text)
        print(f"written to {out}")


if __name__ == "__main__":
    main_guard(main)

"""Evaluate every finished run under --save_dir and write the results table.

A run is finished when its folder holds ``summary.json`` and ``final.pth``. GenDD runs are
(re-)evaluated on the test set with the given sampling settings (``num_sampling`` 5 by
default; the result is cached next to ``final.pth``); baselines report the last epoch's
test accuracy. One row per (teacher, student, method): mean ± std over the runs' trials.
The headline is the last epoch; the best epoch during training is shown apart, labelled
with the split it was chosen on (the test set unless a validation split was held out).
"""
import argparse
import json
import os
import statistics
from collections import defaultdict

import yaml

from gendd.cli import main_guard
from gendd.engine import init_distributed
from gendd.cli.gendd import add_sampling_args, eval_tag
from gendd_cifar.data_args import build_data
from gendd_cifar.evaluation import evaluate_gendd
from gendd_cifar.models import build_model
from gendd_cifar.teachers import infer_arch


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--save_dir", default="save")
    p.add_argument("--dataset", default="cifar100")
    p.add_argument("--out", default=None, help="Markdown table (default: results/<dataset>.md)")
    p.add_argument("--device", default="auto")
    p.add_argument("--num_workers", type=int, default=4)
    add_sampling_args(p)
    p.set_defaults(num_sampling=5)
    return p.parse_args()


def finished_runs(save_dir: str, dataset: str):
    for method_dir in sorted(os.listdir(save_dir)) if os.path.isdir(save_dir) else []:
        if not method_dir.startswith("student_") or method_dir == "student_pretrain":
            continue
        for name in sorted(os.listdir(os.path.join(save_dir, method_dir))):
            run = os.path.join(save_dir, method_dir, name)
            if not all(os.path.isfile(os.path.join(run, f)) for f in ("summary.json", "final.pth", "config.yaml")):
                continue
            with open(os.path.join(run, "config.yaml")) as fh:
                cfg = yaml.safe_load(fh)
            if cfg.get("dataset") == dataset:
                yield method_dir[len("student_"):], run, cfg


def read_json(path):
    if os.path.isfile(path):
        with open(path) as fh:
            return json.load(fh)
    return None


def gendd_test_accuracy(run, cfg, args, env) -> dict:
    """Sampled/probe test accuracy of the run's final.pth with the requested sampling settings."""
    run_args = argparse.Namespace(**cfg)
    run_args.test_subset = 0
    cached = read_json(os.path.join(run, eval_tag(args) + ".json"))
    if cached is not None:
        return cached
    for key in ("num_sampling", "sampler", "sampling_steps", "cfg_scale", "temperature", "eta"):
        setattr(run_args, key, getattr(args, key))
    run_args.resume, run_args.num_workers = os.path.join(run, "final.pth"), args.num_workers
    data = build_data(run_args, env)
    student = build_model(run_args.model_s, data.num_classes)
    return evaluate_gendd(run_args, env, data, student, None, run)


def row_values(method, run, cfg, args, env) -> dict:
    summary = read_json(os.path.join(run, "summary.json"))
    test = read_json(os.path.join(run, "test.json")) or summary["last"]
    values = {"best": summary["best"], "last_epoch": summary["last_epoch"],
              "split": "val" if cfg.get("val_split") else "test", "trial": cfg.get("trial"),
              "teacher_top1": (read_json(os.path.join(run, "teacher.json")) or {}).get("top1")}
    if method == "gendd":
        res = gendd_test_accuracy(run, cfg, args, env)
        values.update(top1=res.get("sampled_top1"), probe=res.get("probe_top1"))
    else:
        values.update(top1=test.get("top1"), probe=None)
    return values


def fmt(xs) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}" if len(xs) > 1 else f"{xs[0]:.2f}"


def table(rows: dict, args) -> str:
    lines = ["| teacher (top-1) | student | method | top-1, last epoch | GenDD probe | best during training "
             "(epoch, split) | epochs | trials |", "|---|---|---|---|---|---|---|---|"]
    for (teacher, student, method), vals in sorted(rows.items()):
        best = ", ".join(f"{v['best'].get('value', float('nan')):.2f} (ep {v['best'].get('epoch')}, "
                         f"{v['split']}, {v['best'].get('metric')})" for v in vals)
        lines.append(f"| {teacher} ({fmt(v['teacher_top1'] for v in vals)}) | {student} | {method} | "
                     f"{fmt(v['top1'] for v in vals)} | {fmt(v['probe'] for v in vals)} | {best} | "
                     f"{', '.join(str(v['last_epoch']) for v in vals)} | {', '.join(str(v['trial']) for v in vals)} |")
    note = (f"\nGenDD top-1: sampled path, {args.num_sampling} draw(s), {args.sampler} sampler, "
            f"{args.sampling_steps} steps, guidance {args.cfg_scale:g}; probe: the linear probe on the "
            f"student feature (no sampling). 'best during training' is the best evaluation seen while "
            f"training, on the split named (choosing it on the test set is optimistic); the headline is "
            f"the last epoch.\n")
    return "\n".join(lines) + "\n" + note


def main():
    args = parse()
    env = init_distributed(args.device)
    rows = defaultdict(list)
    for method, run, cfg in finished_runs(args.save_dir, args.dataset):
        teacher = cfg.get("arch_t") or (infer_arch(cfg["path_t"]) if cfg.get("path_t") else None) or "–"
        rows[(teacher, cfg["model_s"], method)].append(row_values(method, run, cfg, args, env))
    out = args.out or os.path.join("results", f"{args.dataset}.md")
    text = f"# {args.dataset} results\n\n" + table(rows, args)
    if env.is_main:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as fh:
            fh.write(text)
        print(text)
        print(f"written to {out}")


if __name__ == "__main__":
    main_guard(main)

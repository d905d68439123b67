"""``--evaluate``: accuracy of a finished run (its final.pth) or of a given checkpoint, written
as a JSON report beside the checkpoint and, with --results_table, as a row of the table.

Every validation image is counted once across ranks (``gendd.engine.evaluate``). On
ImageNet-LT the report adds, per read-out, the overall / many / medium / few-shot accuracies.
"""
from __future__ import annotations

import argparse
import json
import os

from torch import nn

from gendd.cli import UserError
from gendd.cli.gendd import build_gendd, checkpoint_teacher_fc, load_gendd_weights
from gendd.cli.run_model import with_run_model_flags
from gendd.distillers.gendd import GenDD
from gendd.engine import DistEnv, evaluate
from gendd.engine.amp import Precision
from gendd.engine.rundir import run_config
from gendd.state_dicts import load_state_dict_strict, read_checkpoint

from . import results_table
from .data_args import Data
from .data import shot_accuracies
from .teachers import teacher_state_dict

SETTINGS = {"imagenet": "ImageNet", "cc3m": "CC3M (unsupervised)", "lt": "ImageNet-LT"}


def add_results_table_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results_table", default="", help="with --evaluate: add or refresh this run's row in this "
                   "Markdown table (e.g. results/imagenet.md)")


def setting_of(args) -> str:
    """The setting column: the data, the recipe, and for ImageNet-LT the evaluation list when it is
    not the test list (a validation list's accuracy is never shown as the test accuracy)."""
    name = SETTINGS[args.data_kind]
    if args.data_kind == "lt" and os.path.basename(args.lt_val_list) != "ImageNet_LT_test.txt":
        name += f" (evaluated on {os.path.basename(args.lt_val_list)})"
    return f"{name} {args.recipe}" if args.recipe != "none" else name


def checkpoint_to_evaluate(args, run_dir: str) -> str:
    path = args.resume or os.path.join(run_dir, "final.pth")
    if not os.path.isfile(path):
        raise UserError(f"nothing to evaluate at {path!r}: train this run first (same flags) or pass --resume "
                        f"<checkpoint>")
    return path


def load_gendd_for_eval(args, student: nn.Module, path: str, num_classes: int, method: str = "gendd") -> GenDD:
    """The registered GenDD ``method`` with the weights of ``path``: the teacher layer comes from the file,
    the model flags (width, depth, ...) from the run's config.yaml (``gendd.cli.run_model``)."""
    classes, dim = checkpoint_teacher_fc(path)
    if classes != num_classes:
        raise UserError(f"{path!r} classifies {classes} classes but the evaluation data has {num_classes}: "
                        f"evaluate it on the data it was trained for")
    distiller = build_gendd(with_run_model_flags(args, path, method), student, None, (classes, dim), method=method)
    load_gendd_weights(distiller, path)
    return distiller


def load_student_for_eval(student: nn.Module, path: str) -> nn.Module:
    """The plain student (baselines, the LT teacher) from one of our runs' checkpoints."""
    load_state_dict_strict(student, teacher_state_dict(read_checkpoint(path)), what=f"checkpoint {path!r}")
    return student


def checkpoint_facts(path: str) -> dict:
    """Epochs trained (as stored in the file) and the seed of the run folder beside it, if any."""
    obj = read_checkpoint(path)
    epochs = obj.get("epoch") if isinstance(obj, dict) else None
    return {"epochs": epochs, "seed": run_config(path).get("seed")}


def evaluate_and_report(model: nn.Module, args, env: DistEnv, data: Data, path: str, row: dict,
                        tag: str = "eval") -> dict:
    """Evaluate ``model`` on the validation data (channels-last, --amp's autocast and the seed
    rule of ``gendd.engine.evaluate`` with --seed, as the run's own evaluations); the main rank
    writes ``<tag>.json`` beside ``path``, prints it and refreshes the results-table row."""
    lt = data.train_counts is not None
    results = evaluate(model.to(env.device), data.eval, env.device, data.num_classes if lt else None,
                       Precision(args.amp, env.device).autocast, channels_last=True, seed=args.seed)
    if lt:
        results["shots"] = {name or "logits": shot_accuracies(*counts, data.train_counts)
                            for name, counts in results.pop("per_class").items()}
    if env.is_main:
        write_report(args, path, results, row, tag)
    return results


def write_report(args, path: str, results: dict, row: dict, tag: str) -> None:
    """``<tag>.json`` beside the checkpoint, printed, and the row in --results_table."""
    row = dict(row, **checkpoint_facts(path), checkpoint=path, sampled=results.get("sampled_top1"),
               probe=results.get("probe_top1"), logits=results.get("top1"))
    if "shots" in results:
        first = next(name for name in ("sampled", "probe", "logits") if name in results["shots"])
        row["many / medium / few"] = " / ".join(f"{results['shots'][first][g]:.2f}" for g in ("many", "medium", "few"))
    report = {"checkpoint": path, "results": results, "row": row}
    with open(os.path.join(os.path.dirname(os.path.abspath(path)), tag + ".json"), "w") as fh:
        json.dump(report, fh, indent=2)
    print(json.dumps(report, indent=2))
    if args.results_table:
        results_table.upsert(args.results_table, row)

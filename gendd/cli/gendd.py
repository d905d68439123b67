"""GenDD's command-line flags and their translation into a distiller, a training
configuration and sampling settings: shared by the CIFAR and ImageNet stage-2 scripts
(each tree only changes defaults with ``parser.set_defaults``).

The distiller's own flags (``--smooth``, ``--width``, ...) and their defaults are those the
method registers (``gendd.distillers.registry``); the sampling flags' defaults are
``SamplingSettings``'."""
from __future__ import annotations

import argparse
import dataclasses

from torch import nn

from ..distillers import get as get_method
from ..distillers.eval_plan import EvalPlan
from ..distillers.gendd import SAMPLERS, SAMPLING_CHECKS, STEPS_CHECK, GenDD, SamplingSettings
from ..distillers.registry import add_method_args
from ..engine import TrainConfig
from ..state_dicts import load_state_dict_strict, read_checkpoint, strip_prefix, unwrap
from ..engine.dist import DistEnv
from .engine_flags import epoch_list, train_config
from ..validation import NON_NEGATIVE, checked, within
from .guard import UserError
from .run_setup import RunFolder
from .stage1 import load_pretrained_student
from .stage_run import run_stage
from .teacher import Teacher

# named sampling settings; "fast": the cheapest setting within 0.3 points of 100-step ancestral
# sampling with 5 draws in bench/accuracy_vs_cost.md (18.7x its images/s in the reference mode);
# "paper": the paper's sampling setting (sh/evaluate.sh's default)
SAMPLING_PRESETS = {"fast": {"sampler": "ancestral", "sampling_steps": 10, "num_sampling": 5},
                    "paper": {"sampler": "ancestral", "sampling_steps": 100, "num_sampling": 5, "cfg_scale": 2.0}}
# SAMPLING_PRESETS' keys (command-line names) -> SamplingSettings' fields
SETTING_FIELDS = {"sampler": "sampler", "sampling_steps": "steps", "num_sampling": "num_sampling",
                  "cfg_scale": "cfg_scale"}


def add_gendd_args(p: argparse.ArgumentParser, method: str = "gendd") -> None:
    """The flags of GenDD stage 2 (``method``: "gendd" or a registered variant such as
    "gendd_label_free", whose flags and defaults it registered)."""
    g = p.add_argument_group("GenDD")
    add_method_args(g, [method])
    checked(g.add_argument("--beta2_min", type=float, default=0.95, help="AdamW β2 rises from this to 0.999 (cosine)"),
            within(0, 1, high_open=True))
    checked(g.add_argument("--warmup_epochs", type=float, default=50), NON_NEGATIVE)
    g.add_argument("--cos", action="store_true", help="half-cosine lr decay to --min_lr instead of step decay")
    checked(g.add_argument("--min_lr", type=float, default=0.0), NON_NEGATIVE)
    g.add_argument("--lr_decay_epochs", default="150,180,210", help="step decay epochs (×0.1), without --cos")
    g.add_argument("--path_pretrain", default="", help="stage-1 result to start the student from "
                   "('auto': the stage-1 run of the same pair and trial under --save_dir)")
    g.add_argument("--resume", default="", help="GenDD weights (this project's or the original implementation's) "
                   "to evaluate with --evaluate, or to start training from")
    g.add_argument("--evaluate", action="store_true", help="evaluate --resume (or the run's final.pth) and exit")
    g.add_argument("--reference_mode", action="store_true",
                   help="run GenDD's straightforward reference path (every row materialised, no fused adaLN); "
                        "same math, slower: for benchmarks and checks")
    add_sampling_args(p)
    e = p.add_argument_group("evaluation during training (each evaluation reports the probe)")
    checked(e.add_argument("--sampled_every", type=int, default=1,
                           help="the sampled path at the evaluations of the epochs that are multiples of N, with the "
                                "sampling flags' setting (0: only after the last epoch; default 1: every evaluation, "
                                "as the original implementation)"), NON_NEGATIVE)
    e.add_argument("--final_sampling", choices=sorted(SAMPLING_PRESETS), default=None,
                   help="the sampling setting of the evaluation after the last epoch, a preset (paper: "
                        "sh/evaluate.sh's); default: the sampling flags' setting")


def add_sampling_args(p: argparse.ArgumentParser) -> None:
    s = p.add_argument_group("sampling")
    d = SamplingSettings()
    checked(s.add_argument("--num_sampling", type=int, default=d.num_sampling,
                           help="S: draws averaged per image (0: probe only)"), SAMPLING_CHECKS["num_sampling"])
    s.add_argument("--sampler", default=d.sampler, choices=SAMPLERS)
    checked(s.add_argument("--sampling_steps", type=int, default=d.steps, help="K: respaced reverse-diffusion steps"),
            STEPS_CHECK)
    checked(s.add_argument("--cfg_scale", type=float, default=d.cfg_scale, help="classifier-free guidance scale"),
            SAMPLING_CHECKS["cfg_scale"])
    checked(s.add_argument("--temperature", type=float, default=d.temperature,
                           help="ancestral sampling noise temperature"), SAMPLING_CHECKS["temperature"])
    checked(s.add_argument("--eta", type=float, default=d.eta, help="DDIM η (0: deterministic)"),
            SAMPLING_CHECKS["eta"])
    s.add_argument("--sampling_preset", action=SamplingPreset, choices=sorted(SAMPLING_PRESETS),
                   help="named setting that sets the flags above: " + "; ".join(
                       f"{name} = " + " ".join(f"--{k} {v}" for k, v in values.items())
                       for name, values in SAMPLING_PRESETS.items()) + " (flags given after it still apply)")


class SamplingPreset(argparse.Action):
    """Sets the preset's sampling flags at the point where it appears on the command line."""

    def __call__(self, parser, namespace, value, option_string=None):
        for key, setting in SAMPLING_PRESETS[value].items():
            setattr(namespace, key, setting)
        setattr(namespace, self.dest, value)


def sampling_from_args(args) -> SamplingSettings:
    return SamplingSettings(num_sampling=args.num_sampling, steps=args.sampling_steps, cfg_scale=args.cfg_scale,
                            sampler=args.sampler, temperature=args.temperature, eta=args.eta)


def preset_settings(base: SamplingSettings, preset: str) -> SamplingSettings:
    """``base`` with the preset's values."""
    return dataclasses.replace(base, **{SETTING_FIELDS[k]: v for k, v in SAMPLING_PRESETS[preset].items()})


def eval_plan_from_args(args) -> EvalPlan:
    """What the evaluations during training compute (a namespace without the flags: every evaluation samples)."""
    final = getattr(args, "final_sampling", None)
    return EvalPlan(sampled_every=getattr(args, "sampled_every", 1),
                    final=preset_settings(sampling_from_args(args), final) if final else None)


def eval_tag(args) -> str:
    """Name (without .json) of an evaluation's result file: sampling settings (temperature and η
    when they are not their defaults) and test subset, if any."""
    d = SamplingSettings()
    extra = "".join(f"_{name}{value:g}" for name, value, default in (("T", args.temperature, d.temperature),
                                                                    ("eta", args.eta, d.eta)) if value != default)
    subset = f"_test{args.test_subset}" if getattr(args, "test_subset", 0) else ""
    return f"eval_{args.sampler}{args.sampling_steps}_S{args.num_sampling}_cfg{args.cfg_scale:g}{extra}{subset}"


@dataclasses.dataclass(frozen=True)
class GenDDRun:
    """The typed GenDD settings of a command line: the registered method, its own settings,
    sampling, the --reference_mode (slow path) switch and what the evaluations during training
    compute."""
    method: str
    settings: object
    sampling: SamplingSettings
    fast: bool
    eval_plan: EvalPlan = EvalPlan()


def gendd_settings(args, method: str = "gendd") -> GenDDRun:
    """Read the GenDD flags of the namespace once (a namespace from a stored config.yaml may lack
    the flags added later: their defaults apply)."""
    entry = get_method(method)
    values = {**entry.defaults(), **{k: v for k, v in vars(args).items() if k in entry.defaults()}}
    return GenDDRun(method, entry.settings_type()(**values), sampling_from_args(args),
                    fast=not getattr(args, "reference_mode", False), eval_plan=eval_plan_from_args(args))


def build_gendd(args, student: nn.Module, teacher: nn.Module | None = None,
                teacher_fc: tuple[int, int] | None = None, method: str = "gendd") -> GenDD:
    """The registered GenDD ``method`` ("gendd" or a variant) built from the GenDD flags."""
    return gendd_from_settings(gendd_settings(args, method), student, teacher, teacher_fc)


def gendd_from_settings(run: GenDDRun, student: nn.Module, teacher: nn.Module | None = None,
                        teacher_fc: tuple[int, int] | None = None) -> GenDD:
    """The registered GenDD method of ``run`` built from its settings; a ``UserError`` for settings
    the method refuses."""
    try:
        distiller = get_method(run.method).build(student, teacher, run.settings, teacher_fc=teacher_fc,
                                                 sampling=run.sampling, fast=run.fast)
        distiller.eval_plan = run.eval_plan
    except ValueError as err:
        raise UserError(str(err)) from err
    if not distiller.has_probe and distiller.eval_plan != EvalPlan():
        raise UserError(f"{run.method} reports the sampled path only (it has no probe): every evaluation samples, "
                        f"with one setting; drop --sampled_every and --final_sampling")
    return distiller


def gendd_train_config(args, run_dir: str, epochs: int) -> TrainConfig:
    """AdamW (wd 0 on the head via the distiller's groups), β2 cosine, warm-up then step or cosine decay;
    best.pth on the read-out every evaluation computes the same way (``EvalPlan.best_metric``)."""
    headline = eval_plan_from_args(args).best_metric(sampling_from_args(args))
    return train_config(args, run_dir, epochs=epochs, lr=args.learning_rate, optimizer="adamw",
                        weight_decay=args.weight_decay, betas=(0.9, 0.999), beta2_min=args.beta2_min,
                        lr_schedule="cosine" if args.cos else "step", milestones=epoch_list(args.lr_decay_epochs),
                        warmup_epochs=args.warmup_epochs, min_lr=args.min_lr, headline=headline)


def checkpoint_teacher_fc(path: str) -> tuple[int, int]:
    """(num_classes, Dt) of the teacher layer stored in a GenDD checkpoint (ours or the original implementation's)."""
    sd = strip_prefix(unwrap(read_checkpoint(path)))
    for key in ("teacher_fc.weight", "classifier.weight", "cls_centers"):
        if key in sd:
            return tuple(sd[key].shape)
    raise UserError(f"{path!r} holds no teacher classifier (teacher_fc.weight / classifier.weight): "
                    f"is it a GenDD stage-2 checkpoint?")


def load_gendd_weights(distiller: GenDD, path: str) -> None:
    """Load GenDD weights written by this project (``student.*`` keys) or by the original implementation
    implementation (``model.*``, ``diffloss.net.*``, ...), strictly."""
    obj = read_checkpoint(path)
    sd = strip_prefix(unwrap(obj))
    if any(k.startswith("student.") for k in sd):
        load_state_dict_strict(distiller, sd, what=f"GenDD checkpoint {path!r}")
        return
    from ..reference import load_reference_checkpoint
    load_reference_checkpoint(distiller, obj)


def train_gendd(env: DistEnv, data, student: nn.Module, teacher: Teacher, stage1: str, folder: RunFolder,
                gendd: GenDDRun, cfg: TrainConfig, resume: str = "") -> GenDD | None:
    """GenDD stage 2 on the objects the tree's script built from its flags: ``student`` starts
    from the ``stage1`` file (none when ''), the distiller from ``gendd`` and ``teacher``, then
    from the GenDD weights of ``resume`` (none when ''); every piece is read and checked before
    ``folder`` is claimed and the run trains on ``data``. The trained distiller, or None after a
    dry run."""
    if stage1:
        load_pretrained_student(student, stage1)
    distiller = gendd_from_settings(gendd, student, **teacher.gendd_kwargs())
    if resume:
        load_gendd_weights(distiller, resume)
    notes = [f"student starts from stage 1: {stage1}"] if stage1 else []
    notes += [f"GenDD weights loaded from {resume}"] if resume else []
    notes.append(distiller.eval_plan.describe(distiller.sampling))
    return distiller if run_stage(env, data, distiller, teacher, folder, cfg, tuple(notes)) is not None else None

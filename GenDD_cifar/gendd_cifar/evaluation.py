"""The CIFAR tree's evaluations: the final test of a trained run, and GenDD's ``--evaluate``."""
from __future__ import annotations

import contextlib
import json
import os

from gendd.cli.gendd import build_gendd, checkpoint_teacher_fc, eval_tag, load_gendd_weights
from gendd.cli.run_model import with_run_model_flags
from gendd.distillers import Distiller
from gendd.engine import DistEnv, RunLogger, evaluate
from gendd.engine.amp import Precision

from .data_args import Data


def final_test(model, data: Data, env: DistEnv, run_dir: str, logger: RunLogger, name: str = "test.json",
               seed: int | None = None) -> dict:
    """Evaluate on the test set after training when checkpoints were chosen on a validation split,
    with the read-outs of the evaluation after the last epoch (``Distiller.evaluation``; ``seed``:
    the run's, for a model that samples: see ``gendd.engine.evaluate``)."""
    if data.sets.eval_split == "test":
        return {}
    last = model.evaluation(model.epoch, last=True) if isinstance(model, Distiller) else contextlib.nullcontext()
    with last:
        result = evaluate(model, data.test, env.device, channels_last=True, seed=seed)
    if env.is_main:
        with open(os.path.join(run_dir, name), "w") as fh:
            json.dump(result, fh, indent=2)
    logger.info(f"test set (last epoch): {result}")
    return result


def evaluate_gendd(args, env: DistEnv, data: Data, student, teacher, run_dir: str) -> dict:
    """``--evaluate``: sampled and probe accuracy of --resume (default: the run's final.pth) on
    the test set, written to ``<eval tag>.json`` beside the checkpoint and printed; the model flags
    (width, depth, ...) are the run's (its config.yaml: ``gendd.cli.run_model``). Sampling
    draws from the generator of --seed (the seed rule of ``gendd.engine.evaluate``), under
    --amp's autocast: the run's own evaluations with the same flags give the same logits."""
    path = args.resume or os.path.join(run_dir, "final.pth")
    distiller = build_gendd(with_run_model_flags(args, path), student, teacher,
                            None if teacher else checkpoint_teacher_fc(path))
    load_gendd_weights(distiller, path)
    autocast = Precision(args.amp, env.device).autocast
    result = evaluate(distiller.to(env.device), data.test, env.device, autocast=autocast, channels_last=True,
                      seed=args.seed)
    result["settings"] = vars(distiller.sampling)
    out = os.path.join(os.path.dirname(os.path.abspath(path)), eval_tag(args) + ".json")
    if env.is_main:
        with open(out, "w") as fh:
            json.dump(result, fh, indent=2)
        print(json.dumps(result, indent=2))
    return result

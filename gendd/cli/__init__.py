"""The command line of every training script of both trees.

* ``engine_flags``: the engine's flags, the training flags and the ``TrainConfig`` they make;
* ``run_setup``: building a run from the flags: process start (seed from --seed or the trial), run folder, ``fit``;
* ``guard``: ``UserError`` and ``main_guard`` (one line on stderr, exit codes 2/3/74/75);
* ``gendd``: GenDD stage-2 and sampling flags, building GenDD, loading its weights, its stage-2 training body;
* ``baselines``: ``--distill`` and the flags of every registered baseline;
* ``stage1``: GenDD stage-1 flags, its training body and stage 2's start from its result;
* ``teacher``: the ``Teacher`` a tree's script builds and hands on, and its line in the run's log;
* ``stage_run``: what every training body ends with: claim the run folder, log the teacher and the start, train;
* ``config_file``: ``--config <run>/config.yaml``, a run's recorded flags as the parser's defaults;
* ``checked_parser``: a parser that refuses a flag value its check breaks (exit 2 before any work);
* ``methods``: ``python -m gendd.cli.methods``, the registered methods for shell scripts and reports.
"""
from .engine_flags import add_engine_args, add_training_args, epoch_list, train_config
from .guard import (EXIT_BAD_INPUT, EXIT_NONFINITE, EXIT_PREEMPTED, EXIT_WRITE_FAILED, EXPECTED_FAILURES, UserError,
                    main_guard)
from .run_setup import RunFolder, fit_or_stop, run_folder, run_name, split_batch, start_process, start_run, trial_seed

__all__ = ["add_engine_args", "add_training_args", "epoch_list", "train_config", "RunFolder", "fit_or_stop",
           "run_folder", "run_name", "split_batch", "start_process", "start_run", "trial_seed", "EXIT_BAD_INPUT",
           "EXIT_NONFINITE", "EXIT_PREEMPTED", "EXIT_WRITE_FAILED", "EXPECTED_FAILURES", "UserError", "main_guard"]

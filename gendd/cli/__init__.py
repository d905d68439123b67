"""The command line of every training script of both trees.

* ``engine``: engine flags, process start (seed from --seed or the trial), run folder, ``fit``;
* ``guard``: ``UserError`` and ``main_guard`` (one line on stderr, exit codes 2/3/74/75);
* ``gendd``: GenDD stage-2 and sampling flags, building GenDD, loading its weights;
* ``baselines``: ``--distill`` and the flags of every registered baseline;
* ``stage1``: GenDD stage-1 flags and stage 2's start from its result;
* ``config_file``: ``--config <run>/config.yaml``, a run's recorded flags as the parser's defaults.
"""
from .engine import (add_engine_args, add_training_args, epoch_list, fit_or_stop, run_name, split_batch, start_process,
                     start_run, train_config, trial_seed)
from .guard import (EXIT_BAD_INPUT, EXIT_NONFINITE, EXIT_PREEMPTED, EXIT_WRITE_FAILED, EXPECTED_FAILURES, UserError,
                    main_guard)

__all__ = ["add_engine_args", "add_training_args", "epoch_list", "fit_or_stop", "run_name", "split_batch",
           "start_process",
           "start_run", "train_config", "trial_seed", "EXIT_BAD_INPUT", "EXIT_NONFINITE", "EXIT_PREEMPTED",
           "EXIT_WRITE_FAILED", "EXPECTED_FAILURES", "UserError", "main_guard"]

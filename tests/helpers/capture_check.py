"""Would a training step capture into a CUDA graph? Checked without a GPU.

A CUDA graph records a fixed sequence of kernels whose every shape is known without reading
tensor values; a step that reads a value on the host (``.item()``, ``bool(t)``, ``.tolist()``) or
makes a shape from values (``nonzero``, ``masked_select``, boolean indexing, ``unique``) stops the
capture (``cudaErrorStreamCaptureUnsupported``). Fake tensors have shapes and dtypes but no
values, so exactly those operations raise on them (``DataDependentOutputException``,
``DynamicOutputShapeException``). Reading a generator's state on the host (``torch.get_rng_state``,
``torch.cuda.get_rng_state``, e.g. activation checkpointing that preserves the RNG state) is
refused during a capture too: it raises ``GeneratorStateRead`` here. ``run_on_fake_tensors``
runs the captured step's program (``StepProgram``: forward, loss sum, guard, ``autograd.grad``,
clipping, the fused optimiser step with found_inf, the device-side sums) on fake copies of the batch;
the real weights, optimiser state and buffers are left as they were.
"""
from __future__ import annotations

import contextlib
from unittest import mock

import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from gendd.engine.capture import StepProgram
from gendd.engine.optim import build_optimizer


class GeneratorStateRead(RuntimeError):
    """A training step read a random generator's state on the host."""


def _refuse_state_read(*args, **kwargs):
    raise GeneratorStateRead("the step reads a random generator's state on the host, which a CUDA graph capture "
                             "does not allow")


def run_on_fake_tensors(distiller, images, labels, optimizer: str = "adamw") -> None:
    """One step of the captured program on fake tensors; raises where the step would not capture."""
    opt = build_optimizer(distiller.param_groups(5e-4), optimizer, lr=0.1)
    program = StepProgram(distiller, distiller, opt, contextlib.nullcontext, grad_clip=1.0)
    with FakeTensorMode(allow_non_fake_inputs=True) as mode, \
            mock.patch.object(torch, "get_rng_state", _refuse_state_read), \
            mock.patch.object(torch.cuda, "get_rng_state", _refuse_state_read):
        fake_labels = mode.from_tensor(labels) if labels is not None else None
        program(mode.from_tensor(images), fake_labels)

"""Every registered method as a tiny distiller with a batch to train on, built from the registry
(``gendd.distillers.registry``), so that a new method is covered by the tests that loop over
``method_cases()`` without touching them."""
from __future__ import annotations

import torch

from gendd.distillers import get, names
from gendd.engine.capture import set_device_draws
from helpers.toys import LinearToy

IN, DS, DT, CLASSES, BATCH = 10, 24, 32, 7, 6
# the GenDD head's size flags, shrunk (a flag a method does not have is ignored)
TINY = {"width": 32, "depth": 1, "diffusion_batch_mul": 2, "token_dim": 16}
# methods that train on unlabelled batches (their forward refuses labels); every other method gets labels
UNLABELLED = {"gendd_label_free"}
# boolean flags that change the training step's program; "compile" and "compile_head" run torch.compile'd
# kernels, which fake tensors cannot run: their capture is measured by bench/capture_step.py's compiled rows
SKIPPED_SWITCHES = {"compile", "compile_head"}


def method_cases() -> list[tuple[str, tuple[str, ...]]]:
    """(method, switched-on boolean flags): every registered method with its defaults, plus each
    of its boolean flags switched on alone (e.g. IKL's ``ikl_gi``, GenDD's ``grad_checkpoint``)."""
    cases = []
    for name in names():
        cases.append((name, ()))
        cases += [(name, (flag,)) for flag, default in get(name).defaults().items()
                  if isinstance(default, bool) and flag not in SKIPPED_SWITCHES]
    return cases


def case_id(case) -> str:
    name, switches = case
    return "+".join((name, *switches))


def tiny_distiller(name: str, switches: tuple[str, ...] = (), device="cpu", seed: int = 0, values=None):
    """The registered ``name`` on a LinearToy student (Ds 24) and teacher (Dt 32), both 7 classes,
    in train mode, with GenDD's random draws on the device (as the captured step has them);
    ``values``: flag values that replace the defaults."""
    method = get(name)
    given = values or {}
    values = {**method.defaults(), **{k: v for k, v in TINY.items() if k in method.defaults()}, **given}
    values.update({flag: True for flag in switches})
    torch.manual_seed(seed)
    student, teacher = LinearToy(IN, DS, CLASSES), LinearToy(IN, DT, CLASSES)
    distiller = method.build(student, teacher, method.settings_type()(**values)).to(device)
    set_device_draws(distiller)
    return distiller.train()


def tiny_batch(name: str, device="cpu", seed: int = 1) -> tuple[torch.Tensor, torch.Tensor | None]:
    g = torch.Generator().manual_seed(seed)
    images, labels = torch.randn(BATCH, IN, generator=g), torch.randint(0, CLASSES, (BATCH,), generator=g)
    return images.to(device), None if name in UNLABELLED else labels.to(device)

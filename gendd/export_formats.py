"""The file formats ``export_student.py`` writes besides each tree's ``.pth`` layout.

* safetensors: the state_dict under the public key names, the run's facts (architecture, epoch,
  recorded accuracy, source) as string metadata; ``safetensors.torch.load_file`` reads it.
* ONNX: the plain student, (B, C, H, W) images -> (B, classes) logits, batch size dynamic, written
  by ``torch.onnx.export`` (its torch.export-based exporter, which needs the ``onnxscript``
  package: ``pip install 'gendd[onnx]'``). Where ``onnxruntime`` is installed the file is run on a
  fixed batch and its logits compared with the model's (``check_onnx``).

Every file is written to a temporary name and renamed, so a failed export leaves no partial file.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

import torch
from torch import nn

ONNX_TOLERANCE = 1e-4     # max |logit difference| accepted between onnxruntime and torch (float32)
ONNX_CHECK_BATCH = 4
FORMATS = ("pth", "safetensors", "onnx")


class FormatError(ValueError):
    """An export that cannot be made here (a missing extra, an ONNX file that disagrees with the model)."""


def write_atomically(out: str, write: Callable[[str], None]) -> None:
    """``write(temporary path)``, then rename it to ``out`` (removed again on any failure)."""
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    tmp = f"{out}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_safetensors(tensors: dict[str, torch.Tensor], out: str, metadata: dict) -> None:
    """``tensors`` (contiguous CPU copies) with ``metadata`` as strings."""
    from safetensors.torch import save_file
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    text = {k: str(v) for k, v in metadata.items() if v is not None}
    write_atomically(out, lambda tmp: save_file(tensors, tmp, metadata=text))


def write_onnx(model: nn.Module, out: str, image_shape: tuple[int, int, int]) -> str:
    """The model as ONNX: input "images" (batch, C, H, W), output "logits" (batch, classes), checked
    (``check_onnx``) before it takes its name; the check's line for the report."""
    if importlib.util.find_spec("onnxscript") is None or importlib.util.find_spec("onnx") is None:
        raise FormatError("--format onnx needs the onnx and onnxscript packages (torch.onnx's exporter): "
                          "pip install 'gendd[onnx]'")
    example = torch.zeros(2, *image_shape)
    batch = torch.export.Dim("batch")

    report = []

    def export(tmp: str) -> None:
        torch.onnx.export(model.eval(), (example,), tmp, dynamo=True, verbose=False, external_data=False,
                          input_names=["images"], output_names=["logits"], dynamic_shapes=({0: batch},))
        report.append(check_onnx(model, tmp, image_shape))
    write_atomically(out, export)
    return report[0]


def check_onnx(model: nn.Module, out: str, image_shape: tuple[int, int, int]) -> str:
    """Run ``out`` with onnxruntime on a fixed batch and compare with ``model``: a line for the
    report; ``FormatError`` when they disagree by more than ``ONNX_TOLERANCE``."""
    if importlib.util.find_spec("onnxruntime") is None:
        return "not run with onnxruntime (not installed: pip install 'gendd[onnx]' to check it)"
    import onnxruntime
    images = torch.randn(ONNX_CHECK_BATCH, *image_shape, generator=torch.Generator().manual_seed(0))
    session = onnxruntime.InferenceSession(out, providers=["CPUExecutionProvider"])
    got = torch.from_numpy(session.run(["logits"], {"images": images.numpy()})[0])
    with torch.no_grad():
        expected = model.eval()(images)
    diff = (got - expected).abs().max().item()
    if not diff <= ONNX_TOLERANCE:
        raise FormatError(f"the ONNX export of the model gives logits that differ from the model's by {diff:.3g} "
                          f"on a fixed batch (tolerance {ONNX_TOLERANCE}): nothing written; export it as pth or "
                          f"safetensors instead")
    return f"checked with onnxruntime: logits within {diff:.2g} of torch's on a fixed batch of {ONNX_CHECK_BATCH}"


def format_of(out: str, given: str | None) -> str:
    """--format, or the one --out's suffix names (.safetensors, .onnx; anything else: pth)."""
    if given:
        return given
    suffix = os.path.splitext(out)[1].lstrip(".")
    return suffix if suffix in FORMATS else "pth"

"""The deterministic synthetic weights of tests/data/golden/README.md, rebuilt from a key layout,
and the tolerance of the parity tests."""
from __future__ import annotations

import math
import pathlib
import zlib

import torch
from helpers.reference_keys import REFERENCE_KEYS, read_key_layout

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "data" / "golden"
RELATIVE = 1e-5


def synthetic_tensor(name: str, shape: tuple[int, ...], dtype: str) -> torch.Tensor:
    """One tensor, drawn by a generator seeded with crc32(name) (``module.`` already removed)."""
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    if dtype.startswith("int"):
        if name.endswith("chunk_idx"):
            return torch.arange(shape[-1]).expand(shape).clone()
        return torch.zeros(shape, dtype=torch.int64)
    if name.endswith("running_var"):
        return torch.rand(shape, generator=gen) + 0.5
    if name.endswith("running_mean"):
        return torch.randn(shape, generator=gen) * 0.1
    if len(shape) == 1 and name.endswith(".weight"):
        return 1 + 0.1 * torch.randn(shape, generator=gen)
    if len(shape) == 1:
        return torch.randn(shape, generator=gen) * 0.1
    fan_in = math.prod(shape[1:])
    return torch.randn(shape, generator=gen) * math.sqrt(1 / fan_in)


def synthetic_state_dict(layout_file: pathlib.Path) -> dict[str, torch.Tensor]:
    """Every key of a reference_keys file, synthesized (a leading ``module.`` is kept in the key)."""
    sd = {}
    for key, (shape, dtype) in read_key_layout(layout_file).items():
        name = key[len("module."):] if key.startswith("module.") else key
        sd[key] = synthetic_tensor(name, shape, dtype)
    return sd


def cifar_layout(arch: str) -> pathlib.Path:
    return REFERENCE_KEYS / "cifar" / f"{arch}.txt"


def gendd_layout(name: str) -> pathlib.Path:
    return REFERENCE_KEYS / "gendd_checkpoints" / f"{name}.txt"


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """max |got − want| / max |want| (the golden values' scale), in float64."""
    got, want = got.detach().double(), want.detach().double()
    assert got.shape == want.shape, f"shape {tuple(got.shape)} != golden {tuple(want.shape)}"
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()


def assert_close(got: torch.Tensor, want: torch.Tensor, what: str) -> None:
    error = relative_error(got, want)
    assert error <= RELATIVE, f"{what}: relative error {error:.3g} > {RELATIVE:g}"

"""Reference checkpoint key layouts (``tests/data/reference_keys``) and state_dicts synthesized in them."""
import pathlib

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE_KEYS = ROOT / "tests" / "data" / "reference_keys"


def read_key_layout(path: pathlib.Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """Parse a reference_keys file: `key<TAB>(shape)<TAB>dtype` lines, '#' comments."""
    layout = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, shape, dtype = line.split("\t")
        dims = tuple(int(d) for d in shape.strip("()").split(",") if d.strip())
        layout[key] = (dims, dtype)
    return layout


def synthesize_state_dict(layout: dict[str, tuple[tuple[int, ...], str]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors in a reference layout (what a real file in that layout holds)."""
    gen = torch.Generator().manual_seed(seed)
    sd = {}
    for key, (shape, dtype) in layout.items():
        if dtype == "int64":
            sd[key] = torch.randint(0, 2, shape, generator=gen, dtype=torch.int64)
        else:
            sd[key] = torch.randn(shape, generator=gen, dtype=getattr(torch, dtype))
    return sd

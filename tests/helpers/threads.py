"""Torch's intra-op thread count for a block: tiny models run faster on one thread than on a
contended pool (as the scripts the command tests run in-process)."""
import contextlib

import torch


@contextlib.contextmanager
def torch_threads(count: int):
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)

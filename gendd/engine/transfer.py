"""Moving a batch to the training device, shared by the eager loop (``trainer``) and the captured
step (``capture``)."""
from __future__ import annotations

import torch


def to_device(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """Move a batch; 4-D image batches go channels-last when asked (faster convolutions on CPU and GPU)."""
    images = images.to(device, non_blocking=True)
    return images.contiguous(memory_format=torch.channels_last) if channels_last and images.dim() == 4 else images

"""Process-group set-up for torchrun / SLURM / a plain single process.

``init_distributed()`` reads the variables torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT); without them it runs as a single process. NCCL is used when
the process has a CUDA device, gloo otherwise (CPU smoke runs, tests).

Under torchrun the process group's keys are prefixed with the restart count
(TORCHELASTIC_RESTART_COUNT): torchrun's static rendezvous (``--master_addr/--master_port``)
keeps one key-value store across ``--max-restarts`` restarts, and without the prefix the
restarted workers would read the dead workers' addresses and fail to connect.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.distributed.rendezvous import rendezvous

from ..validation import BadInput
from .signals import die_with_parent


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(device: str = "auto", local_rank: int = 0) -> torch.device:
    """'auto' -> the local CUDA device when there is one, else CPU; 'cpu'/'cuda' force it."""
    if device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise BadInput("--device cuda was asked for but no CUDA device is visible; use --device cpu or auto")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def init_distributed(device: str = "auto", timeout_minutes: int = 30) -> DistEnv:
    """Join the torchrun process group when launched by torchrun, else run single-process
    (under the launchers, the process first asks to be stopped when its parent dies)."""
    die_with_parent()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        timeout = datetime.timedelta(minutes=timeout_minutes)
        dist.init_process_group(backend=backend, rank=rank, world_size=world, timeout=timeout,
                                store=_store_of_this_attempt(timeout), device_id=dev if dev.type == "cuda" else None)
    return DistEnv(rank=rank, world_size=world, local_rank=local_rank, device=dev)


def _store_of_this_attempt(timeout: datetime.timedelta) -> dist.Store | None:
    """torchrun's store with keys prefixed by the restart count (None outside torchrun)."""
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT")
    if attempt is None:
        return None
    store, _, _ = next(rendezvous("env://", timeout=timeout))
    return dist.PrefixStore(f"gendd/attempt_{attempt}", store)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_reduce_(tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
    """In-place all-reduce (sum or max) when running distributed; identity otherwise."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return tensor


def all_gather_objects(obj: object) -> list:
    """Every rank's ``obj``, in rank order (a one-element list when single-process)."""
    if not is_distributed():
        return [obj]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: object, src: int = 0) -> object:
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


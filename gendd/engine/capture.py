"""Whole-step capture (``--cuda_graph``): every training step replays one CUDA graph, then launches
the optimiser's fused step.

``StepProgram`` is the eager step's work as a fixed sequence of tensor operations with no host
read. Its captured part (``forward_backward``): forward (autocast as configured), the summed loss,
the non-finite flag (``found_inf`` = 1 when the loss is NaN/Inf), backward into ``.grad``,
gradient clipping (``torch.nn.utils.clip_grad_norm_``), the undo of a bad step's buffer updates
(BatchNorm statistics: the distiller's buffers are copied once per step and restored with
``torch.where``), and device-side sums of the losses, of the good steps and of the non-finite ones.
Its update (``update``) is the engine's own fused ``torch.optim.SGD``/``AdamW`` step, launched by
the host after the graph with the schedules' lr and β2 as plain numbers (the fused kernels take
them as arguments, so a graph could not change them per step) and ``found_inf``: the fused kernels
then leave weights, optimiser state and ``step`` exactly as they were (the mechanism torch's
GradScaler uses). The optimiser is the one checkpoints save and the eager engine uses.

``CapturedStep`` runs the program eagerly for a few warm-up steps on a side stream, captures its
first part once into a CUDA graph on static input buffers (the batch is copied in, e.g. from the
device-resident CIFAR loader) and replays it; a batch of another shape (a last partial batch)
runs the program eagerly; a step that cannot be captured (an operation inside it reads the device
on the host) is reported in one line and the run goes on with eager steps. The graph is kept
across epochs while the distiller's ``graph_key()``
stays the same (a method with epoch-dependent loss weights is captured again when they change).
Random draws come from the default CUDA generator, which the capture registers (t, noise,
dropout mask), and GenDD's feature mixup is drawn on the device (``device_draws``). The host reads
metrics only every ``log_every`` steps, before a checkpoint and at the end of the epoch; too many
consecutive non-finite steps raise ``NonFiniteLoss`` at the next read-back.

Under DDP the flag is ignored with a logged notice. On the CPU (no CUDA graphs) the same program
runs eagerly, with a logged notice, which is what the tests compare against the eager engine: the
same training up to float32 rounding, except GenDD's mixup, drawn on the device from another
random stream (weights differ from a run without the flag).
"""
from __future__ import annotations

import time

import torch

from .sanity import NonFiniteLoss
from .transfer import to_device

WARMUP_STEPS = 3


def check_fused(optimizer: torch.optim.Optimizer) -> None:
    """The program skips bad steps through the fused kernels' ``found_inf``: other optimisers have none."""
    if not isinstance(optimizer, (torch.optim.SGD, torch.optim.AdamW)) or not all(
            g.get("fused") for g in optimizer.param_groups):
        raise ValueError(f"the captured step needs a fused SGD or AdamW (build_optimizer's default), "
                         f"got {type(optimizer).__name__} with fused={optimizer.param_groups[0].get('fused')}")


def prepare_state(optimizer: torch.optim.Optimizer) -> None:
    """SGD's momentum buffers as zeros before the first step (μ·0 + g = g, torch's first step): the
    fused SGD's own first step starts from uninitialised buffers, which a skipped step would keep."""
    if not isinstance(optimizer, torch.optim.SGD):
        return
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state[p]
            if group["momentum"] and state.get("momentum_buffer") is None:
                state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)


class StepProgram:
    """One guarded training step ``program(images, labels)`` over device tensors (see module doc)."""

    def __init__(self, distiller, model, optimizer, autocast, grad_clip: float = 0.0):
        check_fused(optimizer)
        prepare_state(optimizer)
        self.distiller, self.model, self.optimizer = distiller, model, optimizer
        self.autocast, self.grad_clip = autocast, grad_clip
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.weights = list(distiller.parameters())  # what backward writes and the eager step clips
        device = self.params[0].device
        self.found_inf = torch.zeros((), dtype=torch.float32, device=device)
        self.buffers = list(distiller.buffers())
        self.snapshot = [b.detach().clone() for b in self.buffers]
        self.counts = {name: torch.zeros((), dtype=torch.long, device=device)
                       for name in ("nonfinite", "run", "worst_run")}
        self.good_steps = torch.zeros((), dtype=torch.float64, device=device)
        self.sums: dict[str, torch.Tensor] = {}
        self.last: dict[str, torch.Tensor] = {}
        self.last_bad = torch.zeros((), dtype=torch.bool, device=device)

    def reset_epoch(self) -> None:
        """Zero the epoch's sums in place (a captured graph keeps writing into the same tensors)."""
        self.good_steps.zero_()
        for v in self.sums.values():
            v.zero_()

    def __call__(self, images: torch.Tensor, labels) -> None:
        self.forward_backward(images, labels)
        self.update()

    def forward_backward(self, images: torch.Tensor, labels) -> None:
        """The captured part: losses, ``found_inf``, gradients, clipping, buffer undo, sums."""
        self.distiller.zero_grad(set_to_none=True)
        if self.buffers:
            torch._foreach_copy_(self.snapshot, self.buffers)
        with self.autocast():
            losses = self.model(images, labels)
        total = sum(v.float() for v in losses.values())
        bad = ~torch.isfinite(total.detach())
        self.found_inf.copy_(bad)
        total.backward()
        if self.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.weights, self.grad_clip)
        with torch.no_grad():
            for buffer, old in zip(self.buffers, self.snapshot):
                torch.where(bad, old, buffer, out=buffer)
        self.record(losses, bad)

    def update(self) -> None:
        """The optimiser's fused step with ``found_inf``: nothing changes on a non-finite step."""
        self.optimizer.found_inf = self.found_inf
        try:
            self.optimizer.step()
        finally:
            del self.optimizer.found_inf

    @torch.no_grad()
    def record(self, losses: dict, bad: torch.Tensor) -> None:
        for k, v in losses.items():
            value = torch.where(bad, 0.0, v.detach().double())
            if k in self.sums:
                self.sums[k].add_(value)
            else:
                self.sums[k] = value.clone()
        self.good_steps.add_(~bad)
        c = self.counts
        c["nonfinite"].add_(bad)
        c["run"].add_(1).mul_(bad)
        torch.maximum(c["worst_run"], c["run"], out=c["worst_run"])
        self.last, self.last_bad = {k: v.detach() for k, v in losses.items()}, bad


class CapturedStep:
    """Runs ``program`` eagerly ``WARMUP_STEPS`` times (side stream), then captures its
    ``forward_backward`` on static copies of the batch and replays it, each replay followed by
    ``program.update()``; ``use_graph=False`` always runs the program eagerly. When the capture
    fails, ``notice`` gets one line and every later step runs eagerly (the batch of the failed
    capture too: a capture records work without running it, so nothing was applied)."""

    def __init__(self, program: StepProgram, use_graph: bool, notice=print):
        self.program, self.use_graph, self.notice = program, use_graph, notice
        self.key = None
        self.reset()

    def reset(self) -> None:
        """Forget the graph (captured again after the next warm-up)."""
        self.graph, self.warm, self.static, self.outputs = None, 0, None, None
        self.grads_replaced = False

    def use_key(self, key) -> None:
        """Capture again when ``key`` (the distiller's ``graph_key()``) changed."""
        if key != self.key:
            self.key = key
            self.reset()

    def __call__(self, images: torch.Tensor, labels) -> None:
        program = self.program
        if not self.use_graph:
            return program(images, labels)
        if self.graph is None and self.warm < WARMUP_STEPS:
            self.warm += 1
            return self._on_side_stream(images, labels)
        if self.graph is None:
            return self._capture(images, labels)
        static_images, static_labels = self.static
        if images.shape != static_images.shape or _shape(labels) != _shape(static_labels):
            self.grads_replaced = True  # the eager run gives the parameters new .grad tensors
            return program(images, labels)
        static_images.copy_(images)
        if torch.is_tensor(labels):
            static_labels.copy_(labels)
        if self.grads_replaced:
            for p, grad in zip(program.weights, self.outputs[0]):
                p.grad = grad
            self.grads_replaced = False
        self.graph.replay()
        program.last, program.last_bad = self.outputs[1:]
        program.update()

    def _on_side_stream(self, images, labels) -> None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.program(images, labels)
        torch.cuda.current_stream().wait_stream(side)

    def _capture(self, images, labels) -> None:
        program = self.program
        self.static = (images.clone(), labels.clone() if torch.is_tensor(labels) else labels)
        program.distiller.zero_grad(set_to_none=True)  # backward allocates the graph's own .grad
        failure = self._record_graph()
        if failure is not None:
            self.use_graph, self.static = False, None
            self.notice(f"--cuda_graph: the training step could not be captured as a CUDA graph ({failure}); "
                        f"it runs eagerly from here on")
            return program(images, labels)
        self.outputs = ([p.grad for p in program.weights], program.last, program.last_bad)
        self.graph.replay()  # capturing records the work without running it
        program.update()

    def _record_graph(self) -> str | None:
        """Capture ``forward_backward`` into ``self.graph``; None, or the first line of the error
        that stopped the capture. After a failure the stream in use before is made current again
        (a failed capture leaves its own) and the default generator gets a fresh copy of its state."""
        torch.cuda.synchronize()
        stream = torch.cuda.current_stream()
        graph = torch.cuda.CUDAGraph()
        try:  # thread_local: a data loader's pin-memory thread may allocate while the step is captured
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                self.program.forward_backward(*self.static)
        except RuntimeError as err:  # torch.AcceleratorError included
            torch.cuda.set_stream(stream)
            fresh_generator_state(torch.cuda.default_generators[torch.cuda.current_device()])
            return _first_cause(err)
        self.graph = graph
        return None


def _shape(x):
    return tuple(x.shape) if torch.is_tensor(x) else x


def fresh_generator_state(generator: torch.Generator) -> None:
    """Give ``generator`` a copy of its own state (same seed and offset). A capture that fails
    before its end can leave the generator's state marked as capturing, and then every later
    random draw outside a graph fails; the copy is not marked."""
    generator.graphsafe_set_state(generator.clone_state())


def _first_cause(err: BaseException) -> str:
    """The first line of the earliest error in ``err``'s chain (the one that stopped the capture,
    not the capture's end reporting it)."""
    while err.__context__ is not None:
        err = err.__context__
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}"


def capture_wanted(setting, env, fp16: bool = False) -> bool:
    """``--cuda_graph``: "on" (True) captures (the CPU and DDP then run eagerly with a notice),
    "auto" captures one-process CUDA runs without fp16 loss scaling only, "off" (False) never."""
    if setting in ("auto",):
        return env.device.type == "cuda" and not env.distributed and not fp16
    if setting in (True, "on"):
        return True
    if setting in (False, "off"):
        return False
    raise ValueError(f"cuda_graph must be auto, on or off, got {setting!r}")


def epoch_runner(loop):
    """``train_epoch(pos)`` for ``fit`` with ``--cuda_graph``: the captured epoch, or the eager one
    (with a logged notice) under DDP."""
    if loop.env.distributed:
        loop.logger.info("--cuda_graph is ignored with several processes (DDP): eager steps")
        return loop.train_epoch
    use_graph = loop.env.device.type == "cuda"
    if not use_graph:
        loop.logger.info("--cuda_graph: no CUDA device, the captured step's program runs eagerly (no graph)")
    set_device_draws(loop.distiller)
    program = StepProgram(loop.distiller, loop.model, loop.optimizer, loop.autocast, loop.cfg.grad_clip)
    runner = CapturedStep(program, use_graph, loop.logger.info)
    return lambda pos: captured_epoch(loop, runner, pos)


def set_device_draws(distiller) -> None:
    """Random draws that a graph can replay: GenDD's mixup (m, permutation) on the device."""
    if hasattr(distiller, "device_draws"):
        distiller.device_draws = True


def captured_epoch(loop, runner: CapturedStep, pos) -> None:
    """``_Loop.train_epoch`` with captured steps and deferred read-back (same logs and checkpoints)."""
    cfg, program = loop.cfg, runner.program
    loop.distiller.train()
    loop.distiller.start_epoch(pos.epoch)
    runner.use_key(loop.distiller.graph_key())
    program.reset_epoch()
    seen = {"nonfinite": int(program.counts["nonfinite"])}
    t0 = time.time()
    with loop.logger.progress(loop.source.steps_per_epoch, f"epoch {pos.epoch}/{cfg.epochs}",
                              pos.step_in_epoch) as bar:
        for images, labels in loop.source.batches(pos.epoch, pos.step_in_epoch):
            lr = loop.set_hyperparameters(pos.global_step)
            images = to_device(images, loop.env.device, cfg.channels_last)
            labels = labels.to(loop.env.device, non_blocking=True) if torch.is_tensor(labels) else labels
            runner(images, labels)
            pos.step_in_epoch += 1
            pos.global_step += 1
            bar.update(1)
            stop = loop.stop.requested
            saving = stop or (cfg.save_every_steps and pos.global_step % cfg.save_every_steps == 0)
            if pos.global_step % cfg.log_every == 0 or saving:
                read_back(loop, program, pos, seen, lr, log=pos.global_step % cfg.log_every == 0)
            loop.checkpoint_after_step(pos, stop)
    loop.distiller.end_epoch(pos.epoch)
    read_back(loop, program, pos, seen, lr=None, log=False)
    steps = program.good_steps.clamp(min=1)
    means = {k: (v / steps).item() for k, v in sorted(program.sums.items())}
    means.update(lr=loop.lr_at(max(0, pos.global_step - 1)), epoch=pos.epoch,
                 nonfinite_total=pos.nonfinite_total, epoch_seconds=time.time() - t0)
    loop.logger.metrics(pos.global_step, means, "train_epoch/")
    loop.logger.info(f"epoch {pos.epoch}: " + ", ".join(f"{k} {v:.4g}" for k, v in means.items()))


def read_back(loop, program: StepProgram, pos, seen: dict, lr, log: bool) -> None:
    """The host's look at the device counters: the last losses (logged when ``log``), the
    non-finite steps since the last look, and the ``max_nonfinite`` stop."""
    nonfinite, worst = int(program.counts["nonfinite"]), int(program.counts["worst_run"])
    new = nonfinite - seen["nonfinite"]
    seen["nonfinite"] = nonfinite
    if log and program.last and not bool(program.last_bad):  # as the eager loop: good steps only
        loop.logger.metrics(pos.global_step, {k: v.item() for k, v in program.last.items()} | {"lr": lr}, "train/")
    if new:
        pos.nonfinite_total += new
        loop.logger.info(f"non-finite loss in {new} step(s) up to global step {pos.global_step} (epoch {pos.epoch}): "
                         f"skipped, {pos.nonfinite_total} in total, at most {worst} in a row")
        loop.logger.metrics(pos.global_step, {"nonfinite_total": pos.nonfinite_total}, "train/")
    if worst >= loop.cfg.max_nonfinite:
        kept = loop.ckpts.paths()
        raise NonFiniteLoss(
            f"{worst} consecutive non-finite losses by global step {pos.global_step}: training stopped. "
            f"The last good checkpoint is kept: {kept[-1] if kept else 'none was written yet'}. "
            f"Lower the learning rate, check the data, or raise --max_nonfinite.")

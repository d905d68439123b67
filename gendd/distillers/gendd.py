"""GenDD stage 2: distil the teacher's feature distribution with a conditional diffusion head (docs/method.md §3).

Train forward (images, labels) → {"diffusion", "probe_ce"}; ``feature_losses(f_s, f_t, labels)`` is the
same from the student's and the teacher's pooled features (cached teacher features, or a teacher run
elsewhere; ``forward(images, labels, teacher_features=f_t)`` needs no teacher module):
  1. z = LayerNorm(f_s); the probe = student.fc(f_s.detach()) trained with (soft-target) CE;
  2. target = (1−λ)·f_t + λ·C (C = cls_centers[y] or y·cls_centers; none without labels);
  3. feature mixup of (z, target) when β > 0;
  4. tokens: row r·B·N + b·N + k = token k of sample b in repeat r (M repeats);
  5. each row's z zeroed with probability cond_drop_prob;  6. diffusion loss, mean over rows.
Eval forward (images) → {"sampled": W_t·f̂ + b_t, "probe": student.fc(f_s)}, f̂ the mean of
``sampling.num_sampling`` guided reverse-diffusion draws ("probe" only when it is 0), their noise
drawn from ``sampling_generator`` (the engine's evaluations set it from the run's seed, see
``gendd.engine.evaluate``; None: torch's global generator).

``fast=False`` is the reference mode: every row materialised (x0, z, k: B·N·M rows of Ds
numbers), the denoiser run module by module, the time and condition embeddings recomputed
for every row and step. ``fast=True`` (default) has the same math and draws the same random
numbers in the same order: the condition embedding is computed on the B·N distinct (z_b, k)
pairs plus the N dropped ones (cond_embed(0) = its bias), the time MLP on the timestep table,
rows gather from both; sampling embeds the condition once per loop and the time once per step
and computes the adaLN modulations once per distinct condition (see ``GuidedHead``). The loss
is reduced in float32 (the model output is cast before the loss, e.g. under bf16 autocast).
``compile=True`` wraps the student's ``forward_features`` and the head's network in
``torch.compile``; ``compile_head=True`` compiles the training loss after the random draws (the
head's network with its LayerNorm/modulation/SiLU chain, and the diffusion loss: fewer, fused
kernels, e.g. inside ``--cuda_graph``); ``grad_checkpoint=True`` recomputes the head's blocks in
backward. ``eval_plan`` (``EvalPlan``) chooses what each evaluation during training computes.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..diffusion import (DIFFUSION_STEPS, ancestral_sample, classifier_free_guidance, cosine_diffusion, ddim_sample,
                         start_noise)
from ..head import Denoiser, GuidedHead
from ..tokens import contraction_target, feature_mixup, merge_tokens, num_tokens, split_tokens
from ..validation import NON_NEGATIVE, POSITIVE, finite, within
from .base import Distiller
from .contract import check_features
from .eval_plan import EvalPlan
from .registry import Flag, register, require_valid
from .teacher_layer import frozen_teacher_fc, student_feature_dim

SAMPLERS = ("ancestral", "ddim")


# the sampling settings' rules, by field (the sampling flags carry them too, see gendd.cli.gendd); the steps
# respace the model's num_timesteps, DIFFUSION_STEPS for the scripts' GenDD
SAMPLING_CHECKS = {"num_sampling": NON_NEGATIVE, "cfg_scale": finite(), "temperature": NON_NEGATIVE,
                   "eta": NON_NEGATIVE}
STEPS_CHECK = within(1, DIFFUSION_STEPS, why=f"it respaces the {DIFFUSION_STEPS} diffusion steps")


@dataclass
class SamplingSettings:
    """Evaluation-time sampling: S draws, K respaced steps, CFG scale s, sampler, temperature, DDIM η."""
    num_sampling: int = 1
    steps: int = 100
    cfg_scale: float = 2.0
    sampler: str = "ancestral"
    temperature: float = 1.0
    eta: float = 0.0

    def check(self, num_timesteps: int) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose one of {SAMPLERS}")
        for name, check in SAMPLING_CHECKS.items():
            check.require(getattr(self, name), f"sampling {name}")
        if not 1 <= self.steps <= num_timesteps:
            raise ValueError(f"sampling steps must be in 1..{num_timesteps}, got {self.steps}")


FLAGS = (
    Flag("smooth", "λ: contraction of the target toward the class centre", check=within(0, 1)),
    Flag("diffusion_batch_mul", "M: repeats of every token per step", check=POSITIVE),
    Flag("token_dim", "numbers per token (teacher dim must divide by it)", check=POSITIVE),
    Flag("cond_drop_prob", "condition dropout for classifier-free guidance", check=within(0, 1, high_open=True)),
    Flag("beta", "feature mixup Beta(β, β); 0 disables it", param="mixup_beta", check=NON_NEGATIVE),
    Flag("width", "diffusion head width", check=POSITIVE),
    Flag("depth", "diffusion head residual blocks", check=POSITIVE),
    Flag("compile", "torch.compile the student backbone and the diffusion head"),
    Flag("compile_head", "torch.compile the diffusion head and its loss in training (fused LayerNorm/modulation/"
                         "SiLU chain and loss; measured in bench/README.md)"),
    Flag("grad_checkpoint", "recompute the diffusion head's blocks in backward (less memory, ~1/3 more head compute)"),
)


@register("gendd", family="gendd", label="GenDD", flags=FLAGS)
class GenDD(Distiller):
    has_probe = True  # evaluations report the probe (student.fc) beside the sampled path
    def __init__(self, student: nn.Module, teacher: nn.Module | None = None, *,
                 teacher_fc: nn.Linear | tuple[int, int] | None = None, smooth: float = 0.9, token_dim: int = 64,
                 diffusion_batch_mul: int = 30, cond_drop_prob: float = 0.2, mixup_beta: float = 1.0,
                 width: int = 1024, depth: int = 3, num_timesteps: int = DIFFUSION_STEPS,
                 sampling: SamplingSettings | None = None, fast: bool = True, compile: bool = False,
                 compile_head: bool = False, grad_checkpoint: bool = False):
        super().__init__(student, teacher)
        require_valid(FLAGS, smooth=smooth, diffusion_batch_mul=diffusion_batch_mul, token_dim=token_dim,
                      cond_drop_prob=cond_drop_prob, mixup_beta=mixup_beta, width=width, depth=depth)
        self.teacher_fc = frozen_teacher_fc(teacher, teacher_fc)
        student_dim, teacher_dim = student_feature_dim(student), self.teacher_fc.in_features
        self.num_tokens = num_tokens(teacher_dim, token_dim)
        self.token_dim, self.smooth, self.mixup_beta = token_dim, smooth, mixup_beta
        self.diffusion_batch_mul, self.cond_drop_prob = diffusion_batch_mul, cond_drop_prob
        self.register_buffer("cls_centers", self.teacher_fc.weight.detach().clone())
        self.register_buffer("token_index", torch.arange(self.num_tokens), persistent=False)
        self.projector = nn.LayerNorm(student_dim)
        self.head = Denoiser(student_dim, self.num_tokens, width=width, depth=depth, token_dim=token_dim,
                             fast=fast, checkpointing=grad_checkpoint)
        self.diffusion = cosine_diffusion(num_timesteps)
        self.sampling = sampling or SamplingSettings()
        self.sampling.check(num_timesteps)   # refused when built, not at the first evaluation
        self.fast = fast
        self.device_draws = False  # the mixup drawn on the device (graph capture, see gendd.engine.capture)
        self.sampling_generator: torch.Generator | None = None  # set for one evaluation by gendd.engine.evaluate
        self._respaced = {}
        self.eval_plan = EvalPlan()
        self._compiled = compiled_functions(student, self.head) if compile else {}
        if compile_head:
            self._compiled["loss"] = torch.compile(self.rows_loss)

    def student_features(self, images: torch.Tensor) -> torch.Tensor:
        features = self._compiled.get("features", self.student.forward_features)(images)
        return check_features(features, self.student.fc, "student")

    def head_network(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The denoiser after its conditioning y (compiled when asked)."""
        return self._compiled.get("head", self.head.forward_with_y)(x, y)

    def graph_key(self) -> object:
        return None  # the step ignores the epoch

    @contextlib.contextmanager
    def evaluation(self, epoch: int, last: bool):
        """The evaluation after ``epoch`` samples with ``eval_plan``'s setting (none: the probe only)."""
        per_epoch = self.sampling
        self.sampling = self.eval_plan.setting(per_epoch, epoch, last)
        try:
            yield
        finally:
            self.sampling = per_epoch

    # ---- training --------------------------------------------------------------------
    reads_teacher_features = True

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None,
                      teacher_features: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """``feature_losses`` of the student's features of ``images`` and the teacher's (computed
        here, or ``teacher_features`` given: then no teacher module is needed)."""
        f_s = self.student_features(images)
        f_t = self.teacher_outputs(images)[0] if teacher_features is None else teacher_features
        return self.feature_losses(f_s, f_t, labels)

    def feature_losses(self, f_s: torch.Tensor, f_t: torch.Tensor,
                       labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The train forward's losses {"diffusion", "probe_ce"} from the student's pooled feature f_s
        (B, Ds; gradients flow into it) and the teacher's f_t (B, Dt; cached, or from a teacher run
        elsewhere); the same random draws, in the same order, as ``forward_train``."""
        if f_t.shape != (f_s.shape[0], self.teacher_fc.in_features):
            raise ValueError(f"teacher features of shape {tuple(f_t.shape)} do not fit: expected (B, Dt) = "
                             f"({f_s.shape[0]}, {self.teacher_fc.in_features}) for student features of shape "
                             f"{tuple(f_s.shape)}")
        f_t = f_t.detach().to(f_s.device)
        if f_t.is_inference():  # computed under torch.inference_mode: a normal tensor, savable for backward
            f_t = f_t.clone()
        target = contraction_target(f_t, labels, self.cls_centers, self.smooth)
        z, target = feature_mixup(self.projector(f_s), target, self.mixup_beta, on_device=self.device_draws)
        losses = {"diffusion": self.diffusion_loss(z, target)}
        if labels is not None:
            losses["probe_ce"] = F.cross_entropy(self.student.fc(f_s.detach()), labels)
        return losses

    def build_rows(self, z: torch.Tensor, target: torch.Tensor):
        """(x0, cond, token index) rows, row r·B·N + b·N + k = (token k of target b, z_b, k)."""
        batch, repeats = z.shape[0], self.diffusion_batch_mul
        x0 = split_tokens(target, self.token_dim).repeat(repeats, 1)
        cond = z.repeat_interleave(self.num_tokens, dim=0).repeat(repeats, 1)
        index = self.token_index.repeat(batch * repeats)
        return x0, cond, index

    def drop_conditions(self, cond: torch.Tensor) -> torch.Tensor:
        """Zero each row of z independently with probability cond_drop_prob."""
        keep = torch.rand(cond.shape[0], device=cond.device) >= self.cond_drop_prob
        return torch.where(keep[:, None], cond, torch.zeros_like(cond))

    def diffusion_loss(self, z: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean over all B·N·M rows of mse + vb, t uniform in 0…T−1 per row (float32)."""
        if self.fast:
            return self._fast_diffusion_loss(z, target)
        x0, cond, index = self.build_rows(z, target)
        cond = self.drop_conditions(cond)
        t = torch.randint(0, self.diffusion.num_timesteps, (x0.shape[0],), device=x0.device)
        losses = self.diffusion.training_losses(lambda x_t, t_model: self.head(x_t, t_model, cond, index).float(),
                                                x0, t)
        return losses["loss"].mean()

    def _fast_diffusion_loss(self, z: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The same loss and random draws (dropout mask, t, ε) without the B·N·M × Ds rows: row
        r·B·N + b·N + k takes y = time[t] + table[b·N + k] (kept) or table[B·N + k] (dropped), with
        table = ``head.condition_table(z)`` = [cond_embed(z_b) + pos_embed(k) ; cond_embed.bias + pos_embed(k)]."""
        batch, n = z.shape[0], self.num_tokens
        x0 = split_tokens(target.float(), self.token_dim).repeat(self.diffusion_batch_mul, 1)
        rows = torch.arange(x0.shape[0], device=x0.device)
        keep = torch.rand(x0.shape[0], device=x0.device) >= self.cond_drop_prob
        t = torch.randint(0, self.diffusion.num_timesteps, (x0.shape[0],), device=x0.device)
        noise = torch.randn_like(x0)
        table_row = torch.where(keep, rows % (batch * n), batch * n + rows % n)
        return self._compiled.get("loss", self.rows_loss)(z, table_row, x0, t, noise)

    def rows_loss(self, z: torch.Tensor, table_row: torch.Tensor, x0: torch.Tensor, t: torch.Tensor,
                  noise: torch.Tensor) -> torch.Tensor:
        """The mean diffusion loss of the rows, given their draws (what ``compile_head`` compiles)."""
        head = self.head
        cond_rows = head.condition_table(z).index_select(0, table_row)
        forward = head.forward_with_y if "loss" in self._compiled else self.head_network  # no compile in a compile

        def network(x_t, t_model):
            y = head.embed_time_rows(t_model, self.diffusion.num_timesteps) + cond_rows
            return forward(x_t, y).float()

        return self.diffusion.training_losses(network, x0, t, noise)["loss"].mean()

    # ---- evaluation ------------------------------------------------------------------
    def forward_eval(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        f_s = self.student_features(images)
        logits = {"probe": self.student.fc(f_s)}
        if self.sampling.num_sampling > 0:
            logits["sampled"] = self.teacher_fc(self.sample_features(self.projector(f_s), self.sampling_generator))
        return logits

    def sampling_diffusion(self, steps: int):
        if steps not in self._respaced:
            self._respaced[steps] = self.diffusion.respace(steps)
        return self._respaced[steps]

    @torch.no_grad()
    def sample_features(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """f̂ (B, Dt): the mean of S guided draws of the N tokens per sample (rows s·B·N + b·N + k)."""
        settings = self.sampling
        settings.check(self.diffusion.num_timesteps)
        draws, batch = settings.num_sampling, z.shape[0]
        z = z.float()
        if self.fast:
            model = GuidedHead(self.head, z, draws, settings.cfg_scale, self.head_network)
        else:
            cond = z.repeat_interleave(self.num_tokens, dim=0).repeat(draws, 1)
            index = self.token_index.repeat(batch * draws)
            model = classifier_free_guidance(self.head, cond, settings.cfg_scale, token_index=index)
        noise = start_noise((draws * batch * self.num_tokens, self.token_dim), z.device, generator)
        diffusion = self.sampling_diffusion(settings.steps)
        with self.head.fixed_weights():
            if settings.sampler == "ancestral":
                tokens = ancestral_sample(diffusion, model, noise, settings.temperature, generator)
            else:
                tokens = ddim_sample(diffusion, model, noise, settings.eta, generator)
        return merge_tokens(tokens, self.num_tokens).reshape(draws, batch, -1).mean(dim=0)

    # ---- optimiser -------------------------------------------------------------------
    def param_groups(self, weight_decay: float) -> list[dict]:
        """Weight decay 0 on the diffusion head, ``weight_decay`` on every other trainable parameter."""
        head_ids = {id(p) for p in self.head.parameters()}
        head = [p for p in self.head.parameters() if p.requires_grad]
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in head_ids]
        return [{"params": rest, "weight_decay": weight_decay}, {"params": head, "weight_decay": 0.0}]


def compiled_functions(student: nn.Module, head: Denoiser) -> dict:
    """torch.compile'd student ``forward_features`` and head network (kept out of the state_dict)."""
    return {"features": torch.compile(student.forward_features), "head": torch.compile(head.forward_with_y)}

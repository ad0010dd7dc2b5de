"""What one training step of a colorizer costs: its FLOPs, its time in a given precision and memory
layout, and the machine's matmul throughput to compare them with. Used by the precision probe and by
``python -m colorgan.benchmark train``.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from colorgan.hints import net_input
from colorgan.models.base import ColorizationModule
from colorgan.models.gan_module import GANColorizer


class Overtime(Exception):
    """A timed step ran past its deadline and was abandoned mid-step."""


def _autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """What Lightning's precision plugin wraps a training step in."""
    if precision in ("bf16-mixed", "16-mixed"):
        dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float16
        return torch.autocast(device.type, dtype=dtype)
    return contextlib.nullcontext()


class StepRunner:
    """Forward and backward passes of copies of ``module``'s trained nets, as its training step runs them.

    For a GAN: G(L); D on (L, ab) and (L, G(L) detached), the D loss backward; D on (L, G(L)), the G
    loss (adversarial + L1) backward: the same passes as ``GANColorizer.training_step``. For other
    modules: G(L) and a mean-square loss on its output (the loss is negligible next to the nets).
    The optimizer update is left out: it runs on fp32 weights in every precision.

    Every layer's forward and every parameter's gradient is a checkpoint: ``timeline`` holds the
    seconds since the step began at each, and a step given a ``pace`` (the most seconds allowed at
    each checkpoint) raises ``Overtime`` at the first it reaches late. A step that is 10x slower than
    another is thus abandoned a fraction of the way in, not after it has run 10x as long.
    """

    def __init__(self, module: ColorizationModule, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.nets = [copy.deepcopy(net).to(self.device).train() for net in module.trained_nets()]
        self.gan_loss = module.gan_loss if isinstance(module, GANColorizer) else None
        self.lambda_l1 = module.lambda_l1 if isinstance(module, GANColorizer) else 0.0
        self.hinted = module.uses_hints
        self.channels_last = False
        self.timeline: list[float] = []
        self._pace: list[float] | None = None
        self._start = 0.0
        self._hooks = [m.register_forward_pre_hook(self._checkpoint) for net in self.nets for m in net.modules()]
        self._hooks += [
            p.register_post_accumulate_grad_hook(self._checkpoint) for p in self.parameters() if p.requires_grad
        ]

    def parameters(self) -> Iterator[nn.Parameter]:
        for net in self.nets:
            yield from net.parameters()

    def _checkpoint(self, *_) -> None:
        elapsed = time.perf_counter() - self._start
        if self._pace is not None and self._pace:
            allowed = self._pace[min(len(self.timeline), len(self._pace) - 1)]
            if elapsed > allowed:
                raise Overtime(f"{elapsed:.2f} s in, at checkpoint {len(self.timeline)} of {len(self._pace)}")
        self.timeline.append(elapsed)

    def set_layout(self, channels_last: bool) -> None:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        for net in self.nets:
            net.to(memory_format=fmt)
        self.channels_last = channels_last

    def close(self) -> None:
        for hook in self._hooks:
            hook.remove()
        self.nets.clear()

    def step(self, L: Tensor, ab: Tensor, precision: str) -> None:
        """One step's passes on ``L (B, 1, S, S)`` and ``ab (B, 2, S, S)``; gradients are dropped after."""
        if self.channels_last:
            L = L.contiguous(memory_format=torch.channels_last)
        for p in self.parameters():
            p.grad = None
        with _autocast(precision, L.device):
            run_passes(self.nets, L, ab, self.gan_loss, self.lambda_l1, self.hinted)

    def timed_step(self, L: Tensor, ab: Tensor, precision: str, pace: list[float] | None = None) -> float:
        """Seconds of one ``step``; raises ``Overtime`` when it falls behind ``pace``."""
        self.timeline, self._pace = [], pace
        self._start = time.perf_counter()
        try:
            self.step(L, ab, precision)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
        finally:
            self._pace = None
        return time.perf_counter() - self._start


@contextlib.contextmanager
def deadline(nets: list[nn.Module], seconds: float | None) -> Iterator[None]:
    """Within the block, the next layer of ``nets`` to run after ``seconds`` raises ``Overtime``."""
    if seconds is None:
        yield
        return
    end = time.perf_counter() + seconds

    def check(*_) -> None:
        if time.perf_counter() > end:
            raise Overtime(f"still running after {seconds:.1f} s")

    hooks = [m.register_forward_pre_hook(check) for net in nets for m in net.modules()]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def run_passes(
    nets: list[nn.Module], L: Tensor, ab: Tensor, gan_loss: nn.Module | None, lambda_l1: float, hinted: bool = False
) -> None:
    """The forward and backward passes of one training step (see ``StepRunner``); ``hinted``: G also sees
    colour hints (none are given: the cost is the same)."""
    G = nets[0]
    ab_hat = G(net_input(L, None) if hinted else L)  # (B, 2, H, W)
    if gan_loss is None:
        ab_hat.float().square().mean().backward()
        return
    D = nets[1]
    real, fake = D(torch.cat([L, ab.to(L.dtype)], 1)), D(torch.cat([L, ab_hat.detach()], 1))
    gan_loss.discriminator_loss(real, fake).backward()
    g_loss = gan_loss.generator_loss(D(torch.cat([L, ab_hat], 1))) + lambda_l1 * F.l1_loss(ab_hat.float(), ab)
    g_loss.backward()


def step_flops(module: ColorizationModule, image_size: int, batch: int) -> int:
    """FLOPs of one training step's forward and backward passes (``torch.utils.flop_counter``:
    convolutions and matmuls), counted on meta tensors, so nothing is computed."""
    nets = [copy.deepcopy(net).to("meta").train() for net in module.trained_nets()]
    gan_loss = module.gan_loss if isinstance(module, GANColorizer) else None
    L = torch.zeros(batch, 1, image_size, image_size, device="meta")
    ab = torch.zeros(batch, 2, image_size, image_size, device="meta")
    with FlopCounterMode(display=False) as counter:
        run_passes(nets, L, ab, gan_loss, 1.0, module.uses_hints)
    return int(counter.get_total_flops())


def matmul_flops_per_s(
    dtype: torch.dtype, device: torch.device | str = "cpu", max_n: int = 2048, budget_s: float = 2.0
) -> tuple[float, int]:
    """``(FLOP/s, n)`` of an ``n x n`` matmul in ``dtype``: the largest power of two up to ``max_n``
    whose time stays within ``budget_s`` (a matmul in emulated bf16 can be 200x slower than fp32,
    so sizes grow only while the next one, 8x the work, is predicted to fit)."""
    device = torch.device(device)
    n, rate = 256, 0.0
    while True:
        a = torch.randn(n, n, device=device).to(dtype)
        seconds = min(_time_matmul(a) for _ in range(2))
        rate = 2 * n**3 / seconds
        if n * 2 > max_n or seconds * 8 > budget_s / 2:
            return rate, n
        n *= 2


def _time_matmul(a: Tensor) -> float:
    sync = torch.cuda.synchronize if a.is_cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    a @ a
    sync()
    return time.perf_counter() - start

"""The training step: the LightningModule's own step (recommended and fp32 settings) vs a plain
fp32 eager PyTorch loop of the same nets, on the same in-memory batch."""

from __future__ import annotations

import argparse
import copy
import time

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from colorgan.benchmarks.models import benchmark_model, photo_batch
from colorgan.benchmarks.timing import images_per_second
from colorgan.color import rgb_to_L_ab
from colorgan.models.classification_module import ClassificationColorizer
from colorgan.models.gan_module import GANColorizer


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: without them bf16 matmuls are emulated, and far slower than fp32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def recommended_settings(device: torch.device) -> tuple[str, bool]:
    """``(precision, channels_last)`` colorgan recommends for ``device``.

    GPUs: bf16 autocast (fp16 where bf16 is missing) with NHWC. CPUs: the same only with native bf16;
    measured on a 2-core AVX2 CPU without it, 8 bf16 steps of pix2pix at 256 px did not finish in
    15 minutes, so such CPUs stay in fp32.
    """
    if device.type == "cuda":
        return ("bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"), True
    return ("bf16-mixed", True) if cpu_has_native_bf16() else ("32-true", False)


class SameBatch(Dataset):
    """The same batch ``n`` times: what changes between steps is the nets, not the data."""

    def __init__(self, batch: dict, n: int):
        self.batch, self.n = batch, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        return self.batch


class StepClock(pl.Callback):
    def __init__(self):
        self.times: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.times.append(time.perf_counter())


def lightning_step(args, device, precision: str, channels_last: bool, warmup: int = 2) -> float:
    """Images/s of ``Trainer.fit`` running the module's own ``training_step`` (``--compile``: compiled
    nets; the warmup steps absorb the compilation)."""
    module = benchmark_model(args.model, args.size)
    module.channels_last = channels_last
    module.compile_nets = args.compile
    clock = StepClock()
    trainer = pl.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu", devices=1, precision=precision,
        max_steps=args.steps + warmup, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, callbacks=[clock],
    )  # fmt: skip
    loader = DataLoader(SameBatch(photo_batch(args.size, args.batch), args.steps + warmup), batch_size=None)
    trainer.fit(module, train_dataloaders=loader)
    return args.batch * args.steps / (clock.times[-1] - clock.times[warmup - 1])


def eager_loop(args, device) -> float:
    """Images/s of the textbook fp32 loop: fresh copies of the same nets, Adam, no Lightning."""
    module = benchmark_model(args.model, args.size)
    L, ab = rgb_to_L_ab(photo_batch(args.size, args.batch)["rgb"].to(device))
    G = copy.deepcopy(module.generator).to(device).train()
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=2e-4, betas=(0.5, 0.999))
    if isinstance(module, GANColorizer):
        D = copy.deepcopy(module.discriminator).to(device).train()
        opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

        def step() -> int:
            ab_hat = G(L)
            real, fake = D(torch.cat([L, ab], 1)), D(torch.cat([L, ab_hat.detach()], 1))
            d_loss = 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))  # fmt: skip
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            fake = D(torch.cat([L, ab_hat], 1))
            g_loss = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)) + 100 * F.l1_loss(ab_hat, ab)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            return L.shape[0]
    elif isinstance(module, ClassificationColorizer):  # the same objective (soft encoding, rebalancing), no Lightning

        def step() -> int:
            loss = module.objective(G(L), ab)
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
            return L.shape[0]
    else:

        def step() -> int:
            loss = F.mse_loss(G(L), ab)
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
            return L.shape[0]

    return images_per_second(step, args.steps, warmup=2)


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    default_precision, default_cl = recommended_settings(device)
    precision = args.precision or default_precision
    channels_last = default_cl if args.channels_last is None else args.channels_last
    layout = ("channels_last" if channels_last else "NCHW") + (", compiled" if args.compile else "")
    rows = {f"colorgan step ({precision}, {layout})": lightning_step(args, device, precision, channels_last)}
    if (precision, channels_last, args.compile) != ("32-true", False, False):
        rows["colorgan step (32-true, NCHW)"] = lightning_step(
            argparse.Namespace(**{**vars(args), "compile": False}), device, "32-true", False
        )
    rows["plain fp32 eager loop (same nets)"] = eager_loop(args, device)
    settings = {"precision": precision, "channels_last": channels_last, "compile": args.compile}
    return rows, {"model": args.model, "steps": args.steps, **settings}

"""The training step: the LightningModule's own step at the default precision (``auto``: the same
choice training makes) and at each explicit precision and layout, vs a plain fp32 eager PyTorch loop
of the same nets, on the same in-memory batch; and how close the step comes to the machine's matmul
throughput."""

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
from colorgan.training.auto_precision import AUTO, resolve_auto
from colorgan.training.precision_probe import PrecisionChoice, label
from colorgan.training.step_cost import Overtime, deadline, matmul_flops_per_s, step_flops

ROW_CAP = 1.5  # an explicit setting still running at 1.5x the default row's time is stopped: it is slower


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


def lightning_step(args, device, precision: str, channels_last: bool, limit: float | None = None) -> tuple[float, bool]:
    """``(images/s, finished)`` of ``Trainer.fit`` running the module's own ``training_step`` after 2
    warm-up steps (``--compile``: compiled nets, compiled during the warm-up). A run still going after
    ``limit`` seconds is stopped: then images/s is an upper bound (the step in progress counted as done)."""
    warmup = 2
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
    start = time.perf_counter()
    try:
        with deadline(module.trained_nets(), limit):
            trainer.fit(module, train_dataloaders=loader)
    except Overtime:
        return args.batch * (len(clock.times) + 1) / (time.perf_counter() - start), False
    return args.batch * args.steps / (clock.times[-1] - clock.times[warmup - 1]), True


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
    else:  # zhang16: the same objective (soft encoding, rebalancing) without Lightning; the regressors: MSE
        objective = module.objective if isinstance(module, ClassificationColorizer) else F.mse_loss

        def step() -> int:
            loss = objective(G(L), ab)
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
            return L.shape[0]

    return images_per_second(step, args.steps, warmup=2)


def default_choice(args, device) -> PrecisionChoice:
    """What ``python -m colorgan.train`` would use: ``auto`` (cached or probed), or ``--precision``."""
    module = benchmark_model(args.model, args.size)
    module.channels_last = args.channels_last
    on_gpu = device.type == "cuda"
    if args.precision in (None, AUTO):
        return resolve_auto(module, on_gpu, args.size, args.batch)
    channels_last = (on_gpu and args.precision.endswith("-mixed")) if args.channels_last is None else args.channels_last
    return PrecisionChoice(args.precision, channels_last, f"--precision {args.precision}", "explicit")


def explicit_settings(device) -> list[tuple[str, bool]]:
    half = "bf16-mixed" if device.type != "cuda" or torch.cuda.is_bf16_supported() else "16-mixed"
    return [(p, cl) for p in ("32-true", half) for cl in (False, True)]


def machine_share(args, device, images_per_s: dict[str, float]) -> dict:
    """The step's FLOPs, the matmul throughput in fp32 and bf16, and each row's share of the faster."""
    flops = step_flops(benchmark_model(args.model, args.size), args.size, args.batch)
    max_n = 8192 if device.type == "cuda" else 2048
    (fp32, n32), (bf16, n16) = (matmul_flops_per_s(dt, device, max_n) for dt in (torch.float32, torch.bfloat16))
    peak = max(fp32, bf16)
    print(f"\nstep: {flops / 1e9:.1f} GFLOP (forward + backward, torch.utils.flop_counter); matmul: "
          f"fp32 {fp32 / 1e9:.1f} GFLOP/s ({n32}x{n32}), bf16 {bf16 / 1e9:.2f} GFLOP/s ({n16}x{n16})")  # fmt: skip
    shares = {}
    for name, ips in images_per_s.items():
        shares[name] = ips / args.batch * flops / peak
        print(f"{name:<52} {ips / args.batch * flops / 1e9:>8.1f} GFLOP/s = {shares[name]:>5.0%} of the faster matmul")
    return {"step_gflop": flops / 1e9, "matmul_fp32_gflops": fp32 / 1e9, "matmul_bf16_gflops": bf16 / 1e9,
            "machine_share": next(iter(shares.values()))}  # fmt: skip


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict[str, float], dict]:
    choice = default_choice(args, device)
    layout = ("channels_last" if choice.channels_last else "NCHW") + (", compiled" if args.compile else "")
    print(f"default precision: {label(choice.precision, choice.channels_last)} ({choice.source}: {choice.reason})")
    start = time.perf_counter()
    default, _ = lightning_step(args, device, choice.precision, choice.channels_last)
    limit = ROW_CAP * (time.perf_counter() - start)
    rows = {f"colorgan step, default ({choice.precision}, {layout})": default}
    matrix = args.precision is None and args.channels_last is None and not args.compile
    settings = explicit_settings(device) if matrix else [("32-true", False)]
    explicit = {}
    for precision, cl in settings:
        if not matrix and (precision, cl, args.compile) == (choice.precision, choice.channels_last, False):
            continue
        uncompiled = argparse.Namespace(**{**vars(args), "compile": False})
        ips, finished = lightning_step(uncompiled, device, precision, cl, limit)
        name = f"colorgan step ({label(precision, cl)})" + ("" if finished else f": stopped at {limit:.0f} s, at most")
        rows[name] = explicit[label(precision, cl)] = ips
    rows["plain fp32 eager loop (same nets)"] = eager_loop(args, device)
    extra = {"model": args.model, "steps": args.steps, "precision": choice.precision, "compile": args.compile,
             "channels_last": choice.channels_last, "precision_source": choice.source}  # fmt: skip
    if matrix:
        fastest = max(explicit, key=explicit.get)
        extra["default_vs_fastest_explicit"] = default / explicit[fastest]
        print(f"default: {default / explicit[fastest]:.2f}x the fastest explicit setting ({fastest})")
    return rows, {**extra, **machine_share(args, device, rows)}

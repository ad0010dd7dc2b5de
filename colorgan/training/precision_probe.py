"""``trainer.precision=auto`` on a CPU: time the model's own step in each precision, keep the fastest.

A CPU's flags do not predict which precision trains fastest (issue 17): with native bf16 a Zen 5
ran the pix2pix step 1.74x faster in bf16-mixed + channels_last than in fp32, a Xeon that also
reports avx512_bf16 ran bf16 convolutions at 0.53-0.69x fp32, and an AVX2 CPU emulates bf16 at a
small fraction of fp32. So the probe times the forward and backward passes of the model's nets at
the working size in 32-true and bf16-mixed, each with and without channels_last, and keeps the
fastest if it beats 32-true by ``MARGIN``. The result is cached per machine (CPU model, flags,
threads, torch version) and workload (nets, size, batch): later runs read it and do not probe.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field

import torch

from colorgan.data.cache import read_cache_entry, user_cache_dir, write_cache_entry
from colorgan.models.base import ColorizationModule
from colorgan.training.machine import cpu_description, cpu_key
from colorgan.training.step_cost import Overtime, StepRunner, matmul_flops_per_s, step_flops

log = logging.getLogger(__name__)

REFERENCE = ("32-true", False)
CANDIDATES = (REFERENCE, ("32-true", True), ("bf16-mixed", False), ("bf16-mixed", True))
MARGIN = 1.05  # a candidate must be 5% faster than 32-true: less is within the noise of a short probe
TIMED_STEPS = 2  # after one warm-up step each (oneDNN builds its kernels for a new shape on the first)
STEP_BUDGET_S = 0.5  # the probe's batch is cut so that a 32-true step takes about this long
CONV_EFFICIENCY = 0.5  # conv steps reach about half the fp32 matmul rate (issue 17 measured 37-58%)
MIN_BATCH = 2  # BatchNorm in training mode needs more than one value per channel
WARMUP_CAP = 2.0  # a candidate 2x behind the reference's warm-up step at any layer is abandoned there...
STEP_CAP = 1.5  # ...and 1.5x behind its timed step (both plus PACE_SLACK of the reference's step time,
PACE_SLACK = 0.1  # so that the first layers' jitter abandons nothing)
CACHE_NAME = "precision.json"
# A run planned for less than this (estimated from its steps, the step's FLOPs and the machine's matmul rate,
# or its max_time) trains in 32-true at once: the probe takes 10-30 s and gains at most ~40% of the run.
WORTH_PROBING_S = 600.0


def label(precision: str, channels_last: bool) -> str:
    return f"{precision}{' + channels_last' if channels_last else ''}"


@dataclass
class PrecisionChoice:
    """What ``auto`` resolved to, and why (stored in checkpoints as ``colorgan_meta``)."""

    precision: str
    channels_last: bool
    reason: str
    source: str  # probe | cache | gpu | explicit
    timings: dict[str, float | None] = field(default_factory=dict)  # label -> s/step; None: abandoned
    probe_batch: int | None = None
    probe_seconds: float | None = None

    def meta(self) -> dict:
        return {"precision": self.precision, "channels_last": self.channels_last, "precision_choice": asdict(self)}


def choose(timings: dict[tuple[str, bool], float | None], reference: tuple[str, bool]) -> tuple[tuple[str, bool], str]:
    """The fastest candidate if it beats ``reference`` by ``MARGIN``, else ``reference``; and why."""
    done = {c: t for c, t in timings.items() if t is not None}
    best = min(done, key=done.get)
    speedup = done[reference] / done[best]
    if best != reference and speedup >= MARGIN:
        return best, f"{label(*best)} measured {speedup:.2f}x the {label(*reference)} step"
    others = {c: t for c, t in done.items() if c != reference}
    if not others:
        return reference, f"every other setting was abandoned as slower than {label(*reference)}"
    runner_up = min(others, key=others.get)
    ratio = done[reference] / others[runner_up]
    why = f"nothing beat {label(*reference)} by {MARGIN - 1:.0%} (best other: {label(*runner_up)} at {ratio:.2f}x)"
    return reference, why


def probe_batch(module: ColorizationModule, image_size: int, batch: int) -> int:
    """The training batch, cut so that a 32-true step takes about ``STEP_BUDGET_S`` (estimated from
    the step's FLOPs and this machine's fp32 matmul rate), at least ``MIN_BATCH``."""
    try:
        per_image = step_flops(module, image_size, 1)
    except (RuntimeError, NotImplementedError) as err:  # a net with an op that meta tensors lack
        log.warning("precision probe: cannot count the step's FLOPs (%s); probing at batch %d", err, MIN_BATCH)
        return min(MIN_BATCH, batch)
    rate, _ = matmul_flops_per_s(torch.float32, max_n=1024, budget_s=0.5)
    affordable = int(STEP_BUDGET_S * CONV_EFFICIENCY * rate / max(per_image, 1))
    return max(min(MIN_BATCH, batch), min(batch, affordable))


def time_candidates(
    module: ColorizationModule, image_size: int, batch: int, candidates: tuple[tuple[str, bool], ...]
) -> dict[tuple[str, bool], float | None]:
    """Seconds per step of each candidate (the fastest of ``TIMED_STEPS`` after a warm-up step; None:
    abandoned as slower), round-robin so that load from other processes falls on all of them alike.
    The first candidate is the reference: it runs first in each round, is never abandoned, and its
    step's timeline paces the others' (``WARMUP_CAP``/``STEP_CAP`` times it, plus ``PACE_SLACK``)."""
    runner = StepRunner(module)
    L = torch.rand(batch, 1, image_size, image_size) * 2 - 1
    ab = torch.rand(batch, 2, image_size, image_size) * 2 - 1
    reference, alive = candidates[0], list(candidates)
    timed: dict[tuple[str, bool], list[float]] = {c: [] for c in candidates}
    try:
        for round_ in range(1 + TIMED_STEPS):
            cap, pace = (WARMUP_CAP if round_ == 0 else STEP_CAP), None
            for layout in sorted({cl for _, cl in alive}, key=lambda cl: cl != reference[1]):
                runner.set_layout(layout)  # once per layout and round: the nets are converted in place
                for cand in [c for c in alive if c[1] == layout]:
                    try:
                        seconds = runner.timed_step(L, ab, cand[0], None if cand == reference else pace)
                    except Overtime as late:
                        log.info("precision probe: %s abandoned as slower (%s)", label(*cand), late)
                        alive.remove(cand)
                        continue
                    if cand == reference:
                        pace = [cap * t + PACE_SLACK * seconds for t in runner.timeline]
                    if round_ > 0:
                        timed[cand].append(seconds)
    finally:
        runner.close()
    return {c: min(timed[c]) if c in alive else None for c in candidates}


def workload_key(module: ColorizationModule, image_size: int, batch: int, channels_last: bool | None) -> str:
    """What the choice depends on besides the machine: the nets' architecture, the size, the batch."""
    nets = "\n".join(repr(net) for net in module.trained_nets())
    text = f"{type(module).__name__}|{image_size}|{batch}|{channels_last}|{nets}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def planned_seconds(
    module: ColorizationModule, image_size: int, batch: int, steps: float, max_s: float | None
) -> float:
    """About how long a run of ``steps`` steps (or ``max_s`` seconds, if sooner) takes in 32-true here."""
    try:
        step_s = step_flops(module, image_size, batch) / (CONV_EFFICIENCY * matmul_flops_per_s(torch.float32)[0])
    except (RuntimeError, NotImplementedError):  # a net meta tensors cannot count: assume a long run
        return float("inf")
    return min(steps * step_s, max_s if max_s is not None else float("inf"))


def short_run(
    module: ColorizationModule, image_size: int, batch: int, steps: float, max_s: float | None
) -> PrecisionChoice | None:
    """``PrecisionChoice`` of 32-true when the run is too short for the probe to pay off, else None."""
    planned = planned_seconds(module, image_size, batch, steps, max_s)
    if planned >= WORTH_PROBING_S:
        return None
    why = f"a run of about {planned / 60:.1f} min: not worth probing (runs over {WORTH_PROBING_S / 60:.0f} min are)"
    return PrecisionChoice("32-true", bool(module.channels_last), why, "short run")


def cpu_precision(
    module: ColorizationModule,
    image_size: int,
    batch: int,
    channels_last: bool | None = None,
    cache: bool = True,
    steps: float = float("inf"),
    max_s: float | None = None,
) -> PrecisionChoice:
    """The cached choice for this machine and workload; 32-true for a run planned shorter than
    ``WORTH_PROBING_S`` (``steps`` steps or ``max_s`` seconds); else a new probe (then cached).
    ``channels_last`` True/False fixes the layout (only the precision is probed); None probes both."""
    key = f"{cpu_key()}-{workload_key(module, image_size, batch, channels_last)}"
    path = user_cache_dir() / CACHE_NAME
    stored = (read_cache_entry(path) or {}) if cache else {}
    if isinstance(stored.get(key), dict):
        record = stored[key]
        return PrecisionChoice(**{**record["choice"], "source": "cache"})
    quick = short_run(module, image_size, batch, steps, max_s)
    if quick is not None:
        return quick
    candidates = tuple(c for c in CANDIDATES if channels_last is None or c[1] == channels_last)
    start = time.perf_counter()
    with torch.random.fork_rng():  # the probe's dropout draws must not shift the seeded run's
        batch_used = probe_batch(module, image_size, batch)
        log.info(
            "precision probe: timing %s at %d px, batch %d of %d, in %s (seconds; cached afterwards)",
            type(module).__name__, image_size, batch_used, batch, ", ".join(label(*c) for c in candidates),
        )  # fmt: skip
        timings = time_candidates(module, image_size, batch_used, candidates)
    (precision, cl), reason = choose(timings, candidates[0])
    choice = PrecisionChoice(
        precision, cl, reason, "probe", {label(*c): t for c, t in timings.items()}, batch_used,
        round(time.perf_counter() - start, 2),
    )  # fmt: skip
    if cache:
        stored = read_cache_entry(path) or {}  # re-read: another run may have written meanwhile
        stored[key] = {"choice": asdict(choice), "machine": cpu_description(), "model": type(module).__name__,
                       "image_size": image_size, "batch": batch, "probed": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
        write_cache_entry(path, stored)
    return choice

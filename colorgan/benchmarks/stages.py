"""Stage tables: each stage's time beside its floor measured in the same run (what the hardware allows
for the same work), and the inputs both are measured on."""

from __future__ import annotations

import copy
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage.data
import torch
from PIL import Image
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

BANDWIDTH_BYTES = 1 << 28  # the copy that measures memory bandwidth: 256 MB, far beyond any cache


@dataclass
class Stage:
    name: str
    seconds: float
    floor_s: float | None = None
    floor: str = ""  # what the floor is

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_s if self.floor_s else None


def best_seconds(fn: Callable[[], object], repeats: int = 3, warmup: bool = True) -> float:
    """The fastest of ``repeats`` calls (after one uncounted call): the least disturbed by other load."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def print_stages(title: str, stages: list[Stage]) -> None:
    print(f"\n{title}")
    print(f"{'stage':<34} {'seconds':>9} {'floor s':>9} {'x floor':>8}  floor")
    for s in stages:
        floor = f"{s.floor_s:>9.4f} {s.ratio:>7.1f}x" if s.floor_s else f"{'':>9} {'':>8}"
        print(f"{s.name:<34} {s.seconds:>9.4f} {floor}  {s.floor}")


def stage_record(stages: list[Stage]) -> dict:
    """The stages as the JSON line carries them: ``{name: {"s", "floor_s", "x_floor"}}``, seconds to four
    significant digits (a small frame's floor is microseconds)."""
    return {
        s.name: {"s": float(f"{s.seconds:.4g}")}
        | ({"floor_s": float(f"{s.floor_s:.4g}"), "x_floor": round(s.ratio, 2)} if s.floor_s else {})
        for s in stages
    }


def copy_bytes_per_s(device: torch.device) -> float:
    """Memory bandwidth as a plain tensor copy sees it (bytes read + written per second)."""
    src = torch.ones(BANDWIDTH_BYTES // 4, device=device)
    dst = torch.empty_like(src)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def copy() -> None:
        dst.copy_(src)
        sync()

    return 2 * BANDWIDTH_BYTES / best_seconds(copy)


def forward_flops(net: nn.Module, shape: tuple[int, ...]) -> int:
    """FLOPs of ``net``'s forward pass on an input of ``shape`` (convolutions and matmuls), on meta tensors."""
    meta = copy.deepcopy(net).to("meta").eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        meta(torch.zeros(shape, device="meta"))
    return int(counter.get_total_flops())


def synthetic_photo(path: Path, width: int, height: int, quality: int = 90) -> Path:
    """A photo-like JPEG of any size: scikit-image's astronaut upscaled (bicubic) with sensor-like noise,
    so that the decoder and encoder see real detail, not flat areas."""
    img = Image.fromarray(skimage.data.astronaut()).resize((width, height), Image.BICUBIC)
    noise = np.random.default_rng(0).integers(-12, 13, (height, width, 1), dtype=np.int16)
    pixels = np.clip(np.asarray(img).astype(np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=quality)
    return path


def encoded(img: Image.Image, fmt: str, **options) -> int:
    """Bytes of ``img`` saved in memory (Pillow's own encoder, nothing around it)."""
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.tell()


# The command's own peak: Linux's VmHWM. Not getrusage's ru_maxrss, which a child started by fork keeps from its
# parent across exec (a benchmark holding 1.6 GB would see every command it runs peak at 1.6 GB).
_PEAK = (
    "import re, resource, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n    runpy.run_module(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    try:\n        kb = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    "    except (OSError, AttributeError):\n        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "    print(f'peak_rss_kb={kb}', file=sys.stderr)\n"
)


def _python(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    """``python args`` in a fresh process that imports this colorgan: ``(wall seconds, the process)``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done


def python_seconds(code: str) -> float:
    """Wall seconds of ``python -c code`` in a fresh process (what starting a command costs)."""
    wall, done = _python("-c", code)
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code!r} failed: {done.stderr[-2000:]}")
    return wall


def run_command(module: str, *args: str) -> tuple[float, float, str]:
    """``python -m module args`` in a fresh process: ``(wall seconds, peak RSS in MB, stderr)``."""
    wall, done = _python("-c", _PEAK, module, *args)
    peaks = [line.split("=")[1] for line in done.stderr.splitlines() if line.startswith("peak_rss_kb=")]
    if done.returncode != 0 or not peaks:
        raise RuntimeError(f"python -m {module} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, int(peaks[-1]) / 1024, done.stderr

"""Naming the machine a measurement ran on: CPU model, flags, threads, torch (for caches and reports)."""

from __future__ import annotations

import hashlib
import platform
from functools import cache
from pathlib import Path

import torch


@cache
def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (Linux); empty elsewhere."""
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return fields
    for line in text.split("\n\n", 1)[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def cpu_name() -> str:
    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in info:  # a VM often shows a generic name ("AMD EPYC"): the family/model tell it apart
        name += f" (family {info['cpu family']}, model {info.get('model', '?')})"
    return name


def cpu_flags() -> str:
    """The CPU's feature flags (``/proc/cpuinfo``), or what torch dispatches to where those are unknown."""
    return _cpuinfo().get("flags") or _cpuinfo().get("Features") or torch.backends.cpu.get_cpu_capability()


def cpu_description() -> dict:
    """The CPU as a report names it: model, bf16/AMX/AVX-512 flags, torch's threads and kernels, torch."""
    flags = set(cpu_flags().split())
    notable = sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma", "avx_vnni"))
    return {
        "cpu": cpu_name(),
        "flags": " ".join(notable),
        "threads": torch.get_num_threads(),
        "torch": str(torch.__version__),  # a TorchVersion would not load with weights_only=True
        "kernels": torch.backends.cpu.get_cpu_capability(),
    }


def cpu_key() -> str:
    """A short key that changes with the CPU model, any of its flags, the thread count or torch."""
    text = f"{cpu_name()}|{cpu_flags()}|{torch.get_num_threads()}|{torch.__version__}"
    return hashlib.sha1(text.encode()).hexdigest()[:12]

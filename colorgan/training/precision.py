"""Which ``trainer.precision`` settings colorgan trains in, checked at start-up before any work.

Mixed precision keeps float32 weights, optimizer states and BatchNorm statistics, and colorgan runs
its Lab conversion, losses and metrics in float32 under it. The "true" half precisions put the
weights themselves in 16 bits, which these recipes cannot survive, so they are refused by name
instead of failing or silently learning nothing mid-run.
"""

from __future__ import annotations

from colorgan.errors import ConfigError

AUTO = "auto"
SUPPORTED = ("32-true", "16-mixed", "bf16-mixed")
# Lightning's older spellings of the same settings
ALIASES = {"32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}
REFUSED = {
    "16-true": "fp16 weights and Adam states: Adam's eps (1e-8) is 0 in fp16, so a parameter with a zero "
    "or tiny gradient becomes NaN or inf at the first step",
    "bf16-true": "bf16 weights keep 8 significant bits: an Adam update of lr 2e-4 is under half the spacing "
    "of bf16 numbers near any weight above 0.06 and rounds away",
    "64-true": "the nets would run in float64 while colorgan's Lab conversion and losses run in float32",
}


def check_precision(precision: object) -> str:
    """``precision`` (as Lightning's ``Trainer`` takes it) in its canonical spelling; a ``ConfigError``
    naming the supported choices for anything colorgan cannot train in. ``auto`` (measured per machine,
    ``colorgan.training.auto_precision``) chooses among the supported ones."""
    name = ALIASES.get(str(precision), str(precision))
    if name in SUPPORTED or name == AUTO:
        return name
    why = f" ({REFUSED[name]})" if name in REFUSED else ""
    raise ConfigError(
        f"trainer.precision={precision} is not supported{why}. Choose {AUTO} (measured on this machine) or "
        f"one of: {', '.join(SUPPORTED)} "
        "(16-mixed and bf16-mixed compute in half precision and keep float32 weights)"
    )

"""The pretrained weights a paper experiment asks for, and what to do where they cannot be loaded.

    python experiments/baseline_weights.py EXPERIMENT auto|true|false

Prints the Hydra overrides that baselines.sh adds to the experiment's training command: none when every
weight loads (or with ``true``, which then lets training fail on a missing one, naming it); for each weight
that cannot be loaded (``auto``) or all of them (``false``), ``model.generator.<key>=false``, with a warning
on stderr saying that this baseline is not the paper's (random init instead of ImageNet weights).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from colorgan.models.nets.timm_models import create_timm_model

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
WEIGHT_FLAGS = {"pretrained": "backbone", "classifier_pretrained": "classifier"}  # flag -> the timm model it loads


def asked_weights(experiment: str) -> dict[str, tuple[str, object]]:
    """``{override key: (timm model, flag value)}`` of the weights the experiment turns on."""
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        generator = compose("train", overrides=[f"experiment={experiment}"]).model.generator
    return {f"model.generator.{flag}": (generator[name], generator[flag])
            for flag, name in WEIGHT_FLAGS.items() if generator.get(flag)}  # fmt: skip


def load_error(model: str, value: object) -> str | None:
    try:
        create_timm_model(model, value)
    except Exception as err:  # noqa: BLE001 - any reason the weights do not load is reported
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return None


def main(experiment: str, mode: str) -> int:
    if mode not in ("auto", "true", "false"):
        print(f"PRETRAINED must be auto, true or false; got {mode!r}", file=sys.stderr)
        return 2
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # its retries offline are not the news
    overrides = []
    for key, (model, value) in asked_weights(experiment).items() if mode != "true" else ():
        why = "PRETRAINED=false" if mode == "false" else load_error(model, value)
        if why is not None:
            overrides.append(f"{key}=false")
            print(f"WARNING {experiment}: {model} trained from random init, not the paper's ImageNet weights "
                  f"({why}): its numbers are not that paper's baseline", file=sys.stderr)  # fmt: skip
    print(" ".join(overrides))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

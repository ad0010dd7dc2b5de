#!/usr/bin/env bash
# The four models on one dataset and three seeds at one budget, then one comparison table.
# Usage: experiments/baselines.sh [Hydra overrides...]   e.g. data=folder data.root=/photos trainer.max_epochs=50
set -euo pipefail
sweep="multirun/baselines/$(date +%Y-%m-%d_%H-%M-%S)"
python -m colorgan.train -m model=mse_cnn,fusion,pix2pix,gan seed=0,1,2 hydra.sweep.dir="$sweep" "$@"
python -m colorgan.compare "ckpts=[$(ls "$sweep"/*/checkpoints/last.ckpt | paste -sd, -)]" "$@"

#!/usr/bin/env bash
# The L1 weight of the GAN objective: from "mostly adversarial" to "mostly regression".
# Usage: experiments/lambda_sweep.sh [Hydra overrides...]
set -euo pipefail
python -m colorgan.train -m model=gan model.lambda_l1=1,10,100,1000 seed=0,1 "$@"

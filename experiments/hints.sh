#!/usr/bin/env bash
# User-guided colorization at one small budget: the gan trained with and without hints=random on the same photos
# and steps, then one comparison of both on the held-out test split with the hint sweep (PSNR against the number
# of revealed hints, Zhang et al. 2017 Fig. 6): OUT/compare/hint_sweep.csv and .png beside metrics.md.
#   OUT=DIR STEPS=N bash experiments/hints.sh [data overrides...]
#   OUT=/tmp/hints STEPS=300 bash experiments/hints.sh data=folder data.root=/tmp/real_photos data.image_size=64
# Arguments are data overrides: they reach training and compare alike; training-only overrides go in TRAIN_ARGS.
set -euo pipefail
OUT=$(realpath -m "${OUT:-multirun/hints/$(date +%Y-%m-%d_%H-%M-%S)}")
cd "$(dirname "$0")/.."
STEPS=${STEPS:-300}
ckpts=()
for hints in none random; do
  run="$OUT/train/$hints"
  # shellcheck disable=SC2086  # TRAIN_ARGS is a list of overrides
  python -m colorgan.train "hints=$hints" "trainer.max_steps=$STEPS" trainer.max_epochs=-1 "hydra.run.dir=$run" \
    "$@" ${TRAIN_ARGS:-}
  ckpts+=("$run/checkpoints/last.ckpt")  # the same number of steps for both: the last weights, not a selection
done
python -m colorgan.compare "ckpts=[$(IFS=,; echo "${ckpts[*]}")]" "names=[gan,gan_hints]" hint_sweep=true \
  "hydra.run.dir=$OUT/compare" "$@"

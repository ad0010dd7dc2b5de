#!/usr/bin/env bash
# Every experiment in conf/experiment/ (the papers' recipes, and laptop/laptop_mse: colorgan's GAN and the MSE baseline
# at 64 px crops) at one shared budget for SEEDS seeds each, then one comparison of their best checkpoints (selected on
# val) on the held-out test split: OUT/compare/ (metrics.md/.json, grid).
# Each experiment trains on its paper's geometry (conf/experiment/); the comparison scores every row on the same
# images, resized to EVAL_SIZE x EVAL_SIZE (EVAL_GEOMETRY=squash, 256: the ImageNet protocols' preprocessing), each
# net running at that size. The table marks a GAN row still in its L1 pretraining and a random "pretrained" part.
#   OUT=DIR BUDGET=DD:HH:MM:SS SEEDS=N bash experiments/baselines.sh [data overrides...]
#   OUT=runs/baselines BUDGET=00:02:00:00 SEEDS=3 bash experiments/baselines.sh data=folder data.root=/photos
# Arguments are data overrides (data=..., data.key=...): they reach training and compare alike. Training-only
# overrides go in TRAIN_ARGS, compare-only ones in COMPARE_ARGS (e.g. COMPARE_ARGS="fid_weights=/path/inception.pth").
# EXPERIMENTS="a b" runs a subset. The budget is wall-clock training time (trainer.max_time) for every run, epochs
# and steps unbounded; the final weights are validated when it runs out. PRETRAINED=true requires the ImageNet
# weights the papers use (unet_gan's encoder, koalarization's classifier), false trains them from random init, and
# auto (the default) uses them where they load and otherwise trains from random init with a warning, in OUT/notes.txt.
set -euo pipefail
OUT=$(realpath -m "${OUT:-multirun/baselines/$(date +%Y-%m-%d_%H-%M-%S)}")  # relative to where it is run
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-00:01:00:00}
SEEDS=${SEEDS:-3}
PRETRAINED=${PRETRAINED:-auto}
EVAL_GEOMETRY=${EVAL_GEOMETRY:-squash}
EVAL_SIZE=${EVAL_SIZE:-256}
EXPERIMENTS=${EXPERIMENTS:-$(cd conf/experiment && ls -- *.yaml | sed 's/\.yaml$//')}
data=()
for arg in "$@"; do
  case "$arg" in
    data=* | data.* | +data.* | ++data.*) data+=("$arg") ;;
    *) echo "baselines.sh: '$arg' is not a data override; training overrides go in TRAIN_ARGS, compare's in COMPARE_ARGS" >&2
       exit 2 ;;
  esac
done
mkdir -p "$OUT"
: > "$OUT/notes.txt"
ckpts=()
names=()
for exp in $EXPERIMENTS; do
  weights=$(PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}" python experiments/baseline_weights.py "$exp" "$PRETRAINED" 2>> "$OUT/notes.txt")
  for ((seed = 0; seed < SEEDS; seed++)); do
    run="$OUT/train/$exp/seed$seed"
    # shellcheck disable=SC2086  # TRAIN_ARGS and weights are lists of overrides
    python -m colorgan.train "experiment=$exp" "seed=$seed" "trainer.max_time='$BUDGET'" trainer.max_epochs=-1 \
      trainer.max_steps=-1 "hydra.run.dir=$run" $weights "${data[@]}" ${TRAIN_ARGS:-}
    best=$(ls "$run"/checkpoints/best-*.ckpt 2> /dev/null | head -n 1 || true)
    ckpts+=("${best:-$run/checkpoints/last.ckpt}")
    names+=("$exp")
  done
done
# shellcheck disable=SC2086
python -m colorgan.compare "ckpts=[$(IFS=,; echo "${ckpts[*]}")]" "names=[$(IFS=,; echo "${names[*]}")]" \
  "eval_geometry=$EVAL_GEOMETRY" "eval_size=$EVAL_SIZE" "hydra.run.dir=$OUT/compare" "${data[@]}" ${COMPARE_ARGS:-}
cat "$OUT/notes.txt" >&2
echo "baselines: $OUT/compare/metrics.md ($SEEDS seeds x $(wc -w <<< "$EXPERIMENTS") experiments, $BUDGET each)"

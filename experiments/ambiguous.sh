#!/usr/bin/env bash
# The MSE-vs-GAN claim where it is decidable: mse_cnn, gan and zhang16 on data=ambiguous (objects whose two hues
# share L* and chroma, drawn at random), each at one wall-clock BUDGET for SEEDS seeds, then one comparison of their
# final weights on the generated test split: OUT/compare/ (metrics.md/.json, metrics_grid.png, per_image.csv, curves.png).
#   OUT=DIR BUDGET=00:00:05:00 SEEDS=2 bash experiments/ambiguous.sh [overrides for every run...]
# Every model keeps its own config's settings (optimizer, learning rate, the GAN's L1 pretraining epochs); the
# arguments reach every training run, and data.* ones the comparison too (e.g. data.image_size=32). The final weights (last.ckpt) are compared, not a
# checkpoint selected on val: the claim is about what each objective converges to.
set -euo pipefail
OUT=$(realpath -m "${OUT:-multirun/ambiguous/$(date +%Y-%m-%d_%H-%M-%S)}")
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-00:00:05:00}
SEEDS=${SEEDS:-2}
MODELS=${MODELS:-mse_cnn gan zhang16}
data=()
train=()
for arg in "$@"; do
  case "$arg" in
    data.* | +data.* | ++data.*) data+=("$arg") ;;  # the scenes: training and compare alike
    *) train+=("$arg") ;;
  esac
done
ckpts=()
names=()
for model in $MODELS; do
  for ((seed = 0; seed < SEEDS; seed++)); do
    run="$OUT/train/$model/seed$seed"
    python -m colorgan.train "model=$model" data=ambiguous "seed=$seed" "trainer.max_time='$BUDGET'" \
      trainer.max_epochs=-1 trainer.max_steps=-1 "hydra.run.dir=$run" "${data[@]}" "${train[@]}"
    ckpts+=("$run/checkpoints/last.ckpt")
    names+=("$model")
  done
done
python -m colorgan.compare "ckpts=[$(IFS=,; echo "${ckpts[*]}")]" "names=[$(IFS=,; echo "${names[*]}")]" \
  reference=mse_cnn curves=true data=ambiguous "${data[@]}" "hydra.run.dir=$OUT/compare" ${COMPARE_ARGS:-}
echo "ambiguous: $OUT/compare/metrics.md ($SEEDS seeds x $(wc -w <<< "$MODELS") models, $BUDGET each)"

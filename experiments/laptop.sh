#!/usr/bin/env bash
# The laptop record: the GAN (experiment=laptop) and the MSE baseline (experiment=laptop_mse) trained on the real
# photographs of experiments/real_photos.sh for the recipe's budget each (trainer.max_time, one hour), then compared
# with the gray baseline on the held-out test split: OUT/compare/ (metrics.md/.json, metrics_grid.png, per_image.csv, curves.png).
#   OUT=DIR PHOTOS=/tmp/real_photos [PARALLEL=1] bash experiments/laptop.sh [training overrides...]
# PHOTOS is built first when it does not exist. Each training runs under /usr/bin/time -v (OUT/time_<name>.txt: user
# and sys CPU seconds); OUT/machine.txt holds the CPU, the load average before and after each run, and the commit.
# The split (val 20%, test 30% of the photos by a stable hash of their paths) is the recipe's: the settings were
# chosen on val (experiments/laptop_tune.sh), test is scored here once. SEEDS=2 trains two seeds of each.
# PARALLEL=1 trains the GAN and the MSE baseline of a seed at the same time, each pinned to its own core with one
# thread (taskset): on a 2-core machine each model gets one CPU-hour in one hour of wall time.
set -euo pipefail
OUT=$(realpath -m "${OUT:-multirun/laptop/$(date +%Y-%m-%d_%H-%M-%S)}")
PHOTOS=$(realpath -m "${PHOTOS:?a folder for the photos: PHOTOS=/tmp/real_photos}")
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1}
mkdir -p "$OUT"
[ -d "$PHOTOS" ] || bash experiments/real_photos.sh "$PHOTOS"
data=(data=folder "data.root=$PHOTOS" data.val_fraction=0.2 data.test_fraction=0.3)
{
  echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
  grep -m1 'model name' /proc/cpuinfo
  echo "cpus: $(nproc); flags: $(grep -m1 -o -w -E 'avx512f|avx2|fma|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
} > "$OUT/machine.txt"
ckpts=()
names=()
train_one() {  # name seed [cpu]: one training run, timed; pinned to one core with one thread when cpu is given
  local name=$1 seed=$2 cpu=${3:-} run="$OUT/train/$1/seed$2"
  local pin=()
  [ -n "$cpu" ] && pin=(env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c "$cpu")
  echo "$name seed $seed${cpu:+ on cpu $cpu}: load average before $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
  "${pin[@]}" /usr/bin/time -v -o "$OUT/time_${name}_seed$seed.txt" python -m colorgan.train "experiment=$name" \
    "seed=$seed" "hydra.run.dir=$run" "${data[@]}" "${overrides[@]}" > "$OUT/train_${name}_seed$seed.log" 2>&1
  echo "$name seed $seed: load average after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
}
overrides=("$@")
for ((seed = 0; seed < SEEDS; seed++)); do
  if [ "${PARALLEL:-0}" = 1 ]; then
    train_one laptop "$seed" 0 & gan=$!
    train_one laptop_mse "$seed" 1 & mse=$!
    wait "$gan"; wait "$mse"
  else
    train_one laptop "$seed"
    train_one laptop_mse "$seed"
  fi
done
for name in laptop laptop_mse; do
  for ((seed = 0; seed < SEEDS; seed++)); do
    ckpts+=("$OUT/train/$name/seed$seed/checkpoints/last.ckpt")
    names+=("$([ "$name" = laptop ] && echo gan || echo mse_cnn)")
  done
done
python -m colorgan.compare "ckpts=[$(IFS=,; echo "${ckpts[*]}")]" "names=[$(IFS=,; echo "${names[*]}")]" \
  'reference="gray (ab=0)"' curves=true "hydra.run.dir=$OUT/compare" "${data[@]}"
grep -H -E 'User time|System time|Elapsed' "$OUT"/time_*.txt
echo "laptop: $OUT/compare/metrics.md"

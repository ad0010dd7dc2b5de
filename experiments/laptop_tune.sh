#!/usr/bin/env bash
# Tuning the laptop recipe on the val split only, at step budgets (robust to a busy CPU): each VARIANT is
# "name|overrides", trained for STEPS steps, then all of them compared on val (with the gray baseline).
#   OUT=DIR STEPS=600 ROOT=/tmp/real_photos bash experiments/laptop_tune.sh "gan_l1|experiment=laptop ..." ...
set -euo pipefail
OUT=$(realpath -m "${OUT:?}")
ROOT=${ROOT:?a folder of photos: experiments/real_photos.sh}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
data=(data=folder "data.root=$ROOT" data.val_fraction=0.2 data.test_fraction=0.3)
ckpts=()
names=()
for variant in "$@"; do
  name=${variant%%|*}
  run="$OUT/$name"
  if [ ! -f "$run/checkpoints/last.ckpt" ]; then
    # shellcheck disable=SC2086  # the overrides are a list
    python -m colorgan.train ${variant#*|} "trainer.max_steps=${STEPS:-600}" trainer.max_time=null \
      "hydra.run.dir=$run" seed=0 "${data[@]}" > "$run.log" 2>&1 || { echo "$name failed: $run.log"; continue; }
  fi
  ckpts+=("$run/checkpoints/last.ckpt")
  names+=("$name")
done
python -m colorgan.compare "ckpts=[$(IFS=,; echo "${ckpts[*]}")]" "names=[$(IFS=,; echo "${names[*]}")]" \
  'reference="gray (ab=0)"' split=val "hydra.run.dir=$OUT/compare" "${data[@]}" fid=false lpips=false > "$OUT/compare.log" 2>&1
grep -E '^\||images' "$OUT/compare/metrics.md"

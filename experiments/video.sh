#!/usr/bin/env bash
# The video record: test films made from a run's held-out photos, scored with --temporal none and flow
# (evaluate data=video), then frames/s of a 1080p film with sound at the checkpoint's working size.
#   RUN=/path/to/run ROOT=/path/to/its/photos OUT=/tmp/video_record bash experiments/video.sh
set -euo pipefail
: "${RUN:?RUN=the training run directory}" "${ROOT:?ROOT=its data.root}" "${OUT:?OUT=where the films and results go}"
CKPT=${CKPT:-$RUN/checkpoints/last.ckpt}
cd "$(dirname "$0")/.."  # the repository: colorgan imports from it (or from an install)
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
python experiments/video_films.py --root "$ROOT" --split "$RUN/split.json" --part test --out "$OUT/films"
python -m colorgan.evaluate ckpt_path="$CKPT" data=video data.root="$OUT/films" data.image_size=null \
    hydra.run.dir="$OUT/evaluate"
python -m colorgan.benchmark video --ckpt "$CKPT" --batch 8 --film-size 1920x1080 --seconds 4 | tee "$OUT/benchmark.txt"

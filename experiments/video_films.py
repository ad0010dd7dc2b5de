"""Test films for the video record: each photo of a split filmed with a moving camera (a pan and a zoom),
cut to the next photo of the split (a zoom and a pan), in a few sizes, codecs and containers, some with sound.

    PYTHONPATH=. python experiments/video_films.py --root /photos --split RUN/split.json --part test --out /tmp/films

Then: python -m colorgan.evaluate ckpt_path=RUN/checkpoints/last.ckpt data=video data.root=/tmp/films
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from colorgan.data.images import load_rgb
from colorgan.video.synthetic import write_test_film

# (container, (width, height), codec, pixel format, sound): the shapes a user's films come in
FORMATS = (
    (".mp4", (320, 180), "libx264", "yuv420p", "aac"),
    (".mkv", (288, 162), "ffv1", "yuv444p", None),  # lossless
    (".webm", (320, 180), "libvpx-vp9", "yuv420p", "libopus"),
    (".mov", (240, 180), "libx264", "yuv420p", "pcm_s16le"),  # 4:3, PCM sound
    (".mkv", (320, 180), "libx265", "yuv420p10le", None),  # 10-bit
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="the photo folder the split's paths are relative to")
    parser.add_argument("--split", required=True, help="a run's split.json")
    parser.add_argument("--part", default="test", choices=["train", "val", "test"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    names = sorted(json.loads(Path(args.split).read_text())[args.part])
    photos = [np.asarray(load_rgb(Path(args.root) / name)) for name in names]
    for i, (name, photo) in enumerate(zip(names, photos)):
        suffix, size, codec, pix_fmt, audio = FORMATS[i % len(FORMATS)]
        options = {"x265-params": "log-level=error"} if codec == "libx265" else {}
        path = Path(args.out) / f"{i:02d}_{Path(name).stem}{suffix}"
        second = photos[(i + 1) % len(photos)]
        info = write_test_film(path, (photo, second), size, args.seconds, codec=codec, pix_fmt=pix_fmt,
                               audio=audio, options=options)  # fmt: skip
        print(f"{path}: {info.frames} frames {size[0]}x{size[1]} {codec} {pix_fmt}, cut at frame {info.cut}")


if __name__ == "__main__":
    main()

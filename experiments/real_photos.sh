#!/usr/bin/env bash
# A folder of real colour photographs that needs no dataset download: the photographs listed in
# experiments/real_photos.txt (Debian packages fetched with apt-get download, and the sample photographs that
# installed Python packages ship), each resized to at most 1024 px on its long side (JPEG, quality 95), as
# OUT_DIR/<source>/<name>.jpg. Prints how many photos it wrote.
#   bash experiments/real_photos.sh /tmp/real_photos      # then: data=folder data.root=/tmp/real_photos
set -euo pipefail
out=$(realpath -m "${1:?usage: real_photos.sh OUT_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=$(grep -v '^#' "$here/real_photos.txt" | cut -d' ' -f1 | grep -v '^python:' | sort -u)
(cd "$work" && apt-get download $packages > /dev/null)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
python - "$here/real_photos.txt" "$work/root" "$out" <<'PY'
import bz2
import importlib
import sys
from pathlib import Path

from PIL import Image

listing, root, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
FOLDERS = {"python:skimage": "scikit-image"}  # the folder names of earlier records: their hash split stays put


def source_path(source: str, path: str) -> Path:
    if source.startswith("python:"):  # a file the installed module ships, relative to its folder
        return Path(importlib.import_module(source.split(":", 1)[1]).__file__).parent / path
    return root / path.lstrip("/")


def load(path: Path) -> Image.Image:
    if path.suffix == ".dat":  # scipy's face.dat: bz2-compressed raw RGB, 1024 x 768 (scipy.misc.face)
        return Image.frombytes("RGB", (1024, 768), bz2.decompress(path.read_bytes()))
    return Image.open(path).convert("RGB")


rows = [line.split() for line in listing.read_text().splitlines() if line.strip() and not line.startswith("#")]
for source, path, _licence in rows:
    file = source_path(source, path)
    img = load(file)
    img.thumbnail((1024, 1024), Image.LANCZOS)
    name = file.stem if "contents" not in file.parts else file.parts[file.parts.index("contents") - 1]
    target = out / FOLDERS.get(source, source.removeprefix("python:")) / f"{name}.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    img.save(target, quality=95)
print(f"{len(rows)} photos in {out}")
PY

#!/usr/bin/env bash
# A folder of real colour photographs that needs no dataset download: the 35 photographs listed in
# experiments/real_photos.txt (from Debian's wallpaper packages, fetched with apt-get download) and the 7 that
# scikit-image ships, each resized to at most 1024 px on its long side (JPEG, quality 95).
#   bash experiments/real_photos.sh /tmp/real_photos      # then: data=folder data.root=/tmp/real_photos
set -euo pipefail
out=$(realpath -m "${1:?usage: real_photos.sh OUT_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=$(grep -v '^#' "$here/real_photos.txt" | cut -d' ' -f1 | sort -u)
(cd "$work" && apt-get download $packages > /dev/null)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
python - "$here/real_photos.txt" "$work/root" "$out" <<'PY'
import sys
from pathlib import Path

import skimage.data
from PIL import Image

listing, root, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
sources = [(pkg, root / path.lstrip("/")) for pkg, path in
           (line.split() for line in listing.read_text().splitlines() if line and not line.startswith("#"))]
data = Path(skimage.data.data_dir)
sources += [("scikit-image", data / name) for name in ("astronaut.png", "rocket.jpg", "hubble_deep_field.jpg",
            "motorcycle_left.png", "motorcycle_right.png", "chelsea.png", "coffee.png")]
for pkg, path in sources:
    img = Image.open(path).convert("RGB")
    img.thumbnail((1024, 1024), Image.LANCZOS)
    name = path.stem if "contents" not in path.parts else path.parts[path.parts.index("contents") - 1]
    target = out / pkg / f"{name}.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    img.save(target, quality=95)
print(f"{len(sources)} photos in {out}")
PY

"""Reading one image a person handed over (a web upload): every failure is one message naming the file."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from colorgan.data.images import IMAGE_EXTENSIONS, load_rgb, open_image
from colorgan.errors import ImageRejected, UploadError


def read_upload(path: str | Path, max_pixels: int, limit_setting: str) -> Image.Image:
    """The file as upright RGB (``load_rgb``); ``UploadError`` for an unsupported, unreadable or damaged
    file, or one above ``max_pixels`` (checked from the header, before decoding; the message names
    ``limit_setting``, the option that raises the limit)."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise UploadError(f"{name}: not a supported image type (use {', '.join(sorted(IMAGE_EXTENSIONS))})")
    try:
        with open_image(path, max_pixels=sys.maxsize) as header:  # the size from the header, nothing decoded
            w, h = header.size
        if w * h <= max_pixels:
            return load_rgb(path, max_pixels=max_pixels)
    except (ImageRejected, Image.DecompressionBombError) as err:
        raise UploadError(f"{name}: too large: {err}") from err
    except UnidentifiedImageError as err:
        raise UploadError(f"{name}: not an image file Pillow can read (corrupt, or another format)") from err
    except (OSError, SyntaxError, ValueError) as err:  # truncated or damaged image data
        raise UploadError(f"{name}: the image data is damaged: {err}") from err
    raise UploadError(
        f"{name}: {w}x{h} = {w * h / 1e6:.3g} MP is above the limit of {max_pixels / 1e6:.3g} MP ({limit_setting})"
    )

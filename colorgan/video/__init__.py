"""Video: films read and written through PyAV (FFmpeg), colorized frame by frame in bounded batches, kept
stable along the optical flow, and test films made from photographs. Needs the ``video`` extra (PyAV and
OpenCV); this module imports neither, so the image path never needs them.
"""

from __future__ import annotations

import importlib.util

from colorgan.errors import MissingExtra

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".wmv", ".flv", ".ogv", ".3gp"}
)

TEMPORAL_MODES = ("none", "flow")  # colorize --temporal: frames alone, or colour carried along the flow


def require_video_extra(what: str) -> None:
    """Raise a ``MissingExtra`` naming ``what`` and the install line when PyAV or OpenCV is missing."""
    missing = [name for module, name in (("av", "PyAV"), ("cv2", "OpenCV")) if importlib.util.find_spec(module) is None]
    if missing:
        raise MissingExtra(f"{what} needs {' and '.join(missing)}: pip install 'colorgan[video]'")

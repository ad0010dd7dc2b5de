"""The layout of a prepared dataset, the contract between ``python -m colorgan.prepare`` and ``data=streaming``.

``DIR`` (a local folder, or any URL fsspec opens: ``s3://`` with s3fs, ``gs://`` with gcsfs installed)::

    DIR/train/, DIR/val/, DIR/test/   litdata optimized datasets of {"image": bytes, "path": str}
    DIR/split.json                    the split, as RUN/split.json (usable as data.split_file on the photos)
    DIR/colorgan.json                 the source, the check settings, the counts, the photos' fingerprints
"""

from __future__ import annotations

import json
from typing import Any

import fsspec

from colorgan.errors import ConfigError

META_NAME = "colorgan.json"
SPLIT_NAME = "split.json"
FORMAT_VERSION = 1


def is_remote(url: str) -> bool:
    return "://" in url


def join(url: str, name: str) -> str:
    return f"{url.rstrip('/')}/{name}"


def _open(url: str, mode: str):
    try:
        return fsspec.open(url, mode, auto_mkdir=True)
    except (ImportError, ValueError) as err:  # s3:// without s3fs installed; a protocol fsspec does not know
        raise ConfigError(f"{url}: fsspec cannot open this kind of URL here ({err})") from err


def write_json(url: str, value: Any) -> None:
    """A small JSON file, local or in object storage."""
    with _open(url, "w") as f:
        f.write(json.dumps(value) + "\n")


def read_json(url: str, what: str) -> dict:
    """The JSON at ``url``; one line naming it when it cannot be read."""
    try:
        with _open(url, "r") as f:
            return json.loads(f.read())
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"data.input_dir: cannot read {what} {url} ({err}): is it a dataset written by python -m colorgan.prepare?"
        ) from err

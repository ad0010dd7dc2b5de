"""Prepared datasets: ``python -m colorgan.prepare`` writes a data module's checked splits as litdata chunks
(prepare.py, in the layout of layout.py), and ``data=streaming`` trains from them (datamodule.py)."""

from colorgan.data.streaming.datamodule import StreamingDataModule

__all__ = ["StreamingDataModule"]

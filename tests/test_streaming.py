"""data=streaming: prepare writes data=folder's checked split; streaming gives its batches; a killed run
resumes at the same sample."""

from __future__ import annotations

import io
import json
import signal
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from litdata import StreamingDataset
from PIL import Image

from colorgan.data import FolderDataModule
from colorgan.data.streaming import StreamingDataModule
from colorgan.data.streaming.prepare import prepare_dataset
from tests.conftest import photo, run_module
from tests.test_resume import load, start, wait_for_step

SPLITS = ("train", "val", "test")


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for i, name in enumerate(("chelsea", "coffee", "astronaut", "rocket", "hubble_deep_field", "immunohistochemistry")):
        Image.fromarray(photo(name)).save(root / ("sub" if i % 2 else "") / f"{name}.{'png' if i == 3 else 'jpg'}")
    Image.fromarray(photo("camera")).save(root / "gray.jpg")  # skipped: no colour
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")  # skipped: corrupt
    return root


def by_path(loader) -> dict[str, torch.Tensor]:
    return {Path(p).name: rgb for batch in loader for p, rgb in zip(batch["path"], batch["rgb"])}


def test_prepare_then_stream_gives_the_folders_split_checks_and_batches(folder, tmp_path):
    settings = {"image_size": 48, "batch_size": 2, "num_workers": 0, "test_fraction": 0.1, "val_fraction": 0.1}
    dm = FolderDataModule(root=str(folder), index_cache=None, **settings)
    record = prepare_dataset(dm, str(tmp_path / "prepared"), num_workers=1)
    assert sum(record["counts"].values()) == 6  # the gray and the broken file were left out

    streamed = StreamingDataModule(input_dir=str(tmp_path / "prepared"), image_size=48, batch_size=2, num_workers=0)
    assert streamed.split_record() == {**dm.split_record(), "rule": {**dm.split.rule, "prepared": streamed.input_dir}}
    assert torch.equal(streamed.split_meta()["train_keys"], dm.split_meta()["train_keys"])
    for split in ("val", "test"):  # deterministic transforms: the very same tensors
        ours, theirs = (
            by_path(getattr(streamed, f"{split}_dataloader")()),
            by_path(getattr(dm, f"{split}_dataloader")()),
        )
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)
    batch = next(iter(streamed.train_dataloader()))
    assert batch["rgb"].dtype == torch.uint8 and batch["rgb"].shape == (2, 3, 48, 48)
    assert {Path(p).name for p in batch["path"]} <= {f.name for f in dm.train_files}

    resized = prepare_dataset(FolderDataModule(root=str(folder), index_cache=None, **settings),
                              str(tmp_path / "small"), max_side=64, num_workers=1)  # fmt: skip
    assert resized["max_side"] == 64
    item = StreamingDataset(str(tmp_path / "small" / "train"))[0]  # as stored: a JPEG, long side 64
    assert max(Image.open(io.BytesIO(item["image"])).size) == 64


def test_prepare_refuses_a_folder_that_is_not_empty(folder, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=true"):
        prepare_dataset(FolderDataModule(root=str(folder), index_cache=None), str(tmp_path / "out"))


class PathLog(pl.Callback):
    """Appends ``{"step": global step, "paths": [...]}`` to ``path`` after every training batch; from step
    ``slow_from`` on, each step then waits ``pause`` s, so that a kill lands mid-run however fast the machine."""

    def __init__(self, path: str, slow_from: int = 4, pause: float = 0.3):
        self.path, self.slow_from, self.pause = path, slow_from, pause

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps({"step": trainer.global_step, "paths": list(batch["path"])}) + "\n")
        if trainer.global_step >= self.slow_from:
            time.sleep(self.pause)


def steps(log: Path, upto: int | None = None) -> list[tuple[int, list[str]]]:
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return [(r["step"], r["paths"]) for r in rows if upto is None or r["step"] <= upto]


@pytest.mark.slow  # kept out of the default run (suite time); run with -m slow
def test_a_killed_streaming_run_resumes_at_the_same_sample(tmp_path):
    out = run_module("colorgan.prepare", "data=samples", f"out={tmp_path / 'prepared'}", "num_workers=1",
                     f"hydra.run.dir={tmp_path / 'prepare_run'}")  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]

    def command(run: Path) -> list[str]:
        return [
            sys.executable, "-m", "colorgan.train", "data=streaming", f"data.input_dir={tmp_path / 'prepared'}",
            "model=mse_cnn", "data.image_size=32", "data.batch_size=1", "data.num_workers=2", "logger=none",
            "trainer.accelerator=cpu", "trainer.precision=32-true", "trainer.max_steps=20",
            "trainer.limit_val_batches=0", "trainer.enable_progress_bar=false",
            "callbacks.last_checkpoint.every_n_train_steps=3", f"hydra.run.dir={run}",
            f"+callbacks.paths={{_target_:{__name__}.PathLog,path:{run / 'paths.jsonl'}}}",
        ]  # fmt: skip

    reference = start(command(tmp_path / "reference"))
    assert reference.wait(timeout=300) == 0, reference.stdout.read()[-3000:]
    expected = steps(tmp_path / "reference" / "paths.jsonl")
    assert [s for s, _ in expected] == list(range(1, 21))  # 5 photos a batch each: 4 epochs; the kill at step 3+
    # lands before the end (with 8 steps a fast machine finished before the kill, and nothing was resumed)

    run = tmp_path / "killed"
    process = start(command(run))
    wait_for_step(run / "checkpoints" / "last.ckpt", 3, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = load(run / "checkpoints" / "last.ckpt")["global_step"]  # mid-epoch (3) or later
    resumed = start(command(run))
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read()[-3000:]
    log = steps(run / "paths.jsonl")
    first_after = next(i for i, (s, _) in enumerate(log) if i > 0 and s <= log[i - 1][0])  # the resumed run's start
    assert log[first_after][0] == killed_at + 1
    assert [r for r in log[:first_after] if r[0] <= killed_at] + log[first_after:] == expected


def test_each_ddp_rank_validates_on_as_many_batches_and_every_val_photo_once(folder, tmp_path, monkeypatch):
    """litdata's own sharding gives a rank whole batches: with few val photos some ranks got none, and
    their torchmetrics sync hung the others. Val/test are read by index through the padded sampler."""
    settings = {"image_size": 48, "batch_size": 2, "num_workers": 0, "test_fraction": 0.06, "val_fraction": 0.2}
    dm = FolderDataModule(root=str(folder), index_cache=None, **settings)
    prepare_dataset(dm, str(tmp_path / "prepared"), num_workers=1)
    streamed = StreamingDataModule(input_dir=str(tmp_path / "prepared"), image_size=48, batch_size=2, num_workers=0)
    streamed.setup()
    n_val, seen, batches = len(streamed.val_files), [], set()
    assert n_val >= 2
    for rank in range(4):  # more ranks than photos
        monkeypatch.setattr("colorgan.data.sampler._rank_and_world", lambda r=rank: (r, 4))
        loader = streamed.val_dataloader()
        batches.add(len(loader))
        seen += [Path(p).name for batch in loader for p in batch["path"]]
    assert batches == {1} and sorted(seen) == sorted(f.name for f in dm.val_files)


def test_the_prepared_datasets_json_files_go_through_fsspec_to_any_store(tmp_path):
    """colorgan.json and split.json are written and read through fsspec (its in-memory store stands in for
    s3:// or gs://); a store whose fsspec driver is missing, or a file that is not there, is one clear error."""
    from colorgan.data.streaming.layout import read_json, write_json
    from colorgan.errors import ConfigError

    write_json("memory://bucket/prepared/colorgan.json", {"version": 1, "root": "/photos"})
    assert read_json("memory://bucket/prepared/colorgan.json", "its description") == {"version": 1, "root": "/photos"}
    write_json(str(tmp_path / "new" / "split.json"), {"train": ["a.jpg"]})  # a local folder is made on the way
    assert read_json(str(tmp_path / "new" / "split.json"), "its split") == {"train": ["a.jpg"]}
    with pytest.raises(ConfigError, match="nowhere/colorgan.json"):
        read_json("memory://nowhere/colorgan.json", "its description")
    with pytest.raises(ConfigError, match="fsspec cannot open"):
        write_json("nosuchstore://bucket/colorgan.json", {})

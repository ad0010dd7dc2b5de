"""The colorize command: any size, any mode, full-resolution L kept, inputs never overwritten."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from colorgan.color import rgb_to_L_ab
from colorgan.colorize import main as colorize_main
from colorgan.inference import colorize_image, working_shape
from colorgan.training.checkpoint import load_colorizer
from tests.conftest import photo
from tests.test_data import exif_rotated_jpeg


def L_of(img: Image.Image) -> torch.Tensor:
    return rgb_to_L_ab(torch.from_numpy(np.array(img.convert("RGB"))).permute(2, 0, 1)[None])[0]


@pytest.mark.parametrize("size", [(301, 173), (7, 5), (1, 300), (640, 64)])
def test_output_has_the_input_size_and_lightness(checkpoints, size):
    model = load_colorizer(checkpoints["gan"])
    img = Image.fromarray(photo("coffee")).resize(size)
    out = colorize_image(model, img)
    assert out.size == img.size and out.mode == "RGB"
    # same L up to 8-bit rounding and gamut clipping of the predicted colours
    assert (L_of(out) - L_of(img)).abs().mean() < 0.01


def test_working_shape_keeps_aspect_and_bounds_the_net_input():
    assert working_shape(4000, 6000, 256) == (256, 384)
    assert working_shape(10, 20, 256) == (256, 512)
    assert working_shape(1, 3000, 256) == (1, 1024)  # the long side is capped at 4 working sizes


@pytest.mark.parametrize("model", ["mse_cnn", "fusion", "pix2pix"])
def test_every_model_colorizes(checkpoints, model):
    out = colorize_image(load_colorizer(checkpoints[model]), Image.fromarray(photo("astronaut", 96)))
    assert out.size == (96, 96)


def test_cli_handles_folders_globs_modes_and_a_broken_file(checkpoints, tmp_path, capsys):
    src = tmp_path / "in"
    (src / "nested").mkdir(parents=True)
    exif_rotated_jpeg(src / "rotated.jpg")  # displayed 20 wide x 40 high
    Image.fromarray(photo("chelsea", 40)).convert("L").save(src / "nested" / "gray.png")
    Image.fromarray(np.full((16, 16), 40000, np.uint16)).save(src / "nested" / "deep16.png")
    Image.fromarray(np.dstack([photo("rocket", 24), np.full((24, 24), 128, np.uint8)]), "RGBA").save(src / "alpha.png")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    out = tmp_path / "out"
    code = colorize_main(
        ["--ckpt", str(checkpoints["gan"]), str(src), str(tmp_path / "in" / "*.png"), "--out", str(out)]
    )
    assert code == 1  # the broken file is a failure...
    assert "broken.jpg" in capsys.readouterr().err
    assert Image.open(out / "rotated.jpg").size == (20, 40)  # ...and the others are done (a JPEG stays one)
    assert Image.open(out / "nested" / "gray.png").size == (40, 40)
    assert (out / "nested" / "deep16.png").is_file()
    assert (out / "alpha.png").is_file() and (out / "alpha-2.png").is_file()  # folder + glob: two distinct outputs


def test_outputs_never_overwrite_inputs(checkpoints, tmp_path):
    src = tmp_path / "photo.png"
    Image.fromarray(photo("coffee", 32)).save(src)
    before = src.read_bytes()
    assert colorize_main(["--ckpt", str(checkpoints["mse_cnn"]), str(src), "--out", str(tmp_path)]) == 0
    assert src.read_bytes() == before and (tmp_path / "photo-2.png").is_file()


def test_cli_names_a_bad_checkpoint_or_missing_input(checkpoints, tmp_path, capsys):
    assert colorize_main(["--ckpt", str(tmp_path / "none.ckpt"), "x.png"]) == 2
    assert "none.ckpt" in capsys.readouterr().err
    assert (
        colorize_main(["--ckpt", str(checkpoints["gan"]), str(tmp_path / "missing.jpg"), "--out", str(tmp_path)]) == 1
    )
    assert "missing.jpg" in capsys.readouterr().err


def test_a_jpeg_stays_a_jpeg_with_its_lightness_and_anything_else_becomes_png(checkpoints, tmp_path):
    Image.fromarray(photo("coffee")).save(tmp_path / "coffee.jpg", quality=90)
    Image.fromarray(photo("chelsea", 48)).save(tmp_path / "cat.png")
    out = tmp_path / "out"
    assert colorize_main(["--ckpt", str(checkpoints["gan"]), str(tmp_path / "coffee.jpg"), str(tmp_path / "cat.png"),
                          "--out", str(out)]) == 0  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["cat.png", "coffee.jpg"]
    assert Image.open(out / "coffee.jpg").format == "JPEG" and Image.open(out / "cat.png").format == "PNG"
    dL = (L_of(Image.open(out / "coffee.jpg")) - L_of(Image.open(tmp_path / "coffee.jpg"))).abs() * 50  # L* units
    assert torch.quantile(dL.flatten(), 0.99) <= 1.0
    assert colorize_main(["--ckpt", str(checkpoints["gan"]), str(tmp_path / "coffee.jpg"), "--format", "png",
                          "--out", str(out)]) == 0  # fmt: skip
    assert Image.open(out / "coffee.png").format == "PNG"


def test_an_output_that_cannot_be_written_fails_alone(checkpoints, tmp_path, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("a.png", "sub/b.png", "c.png"):
        Image.fromarray(photo("rocket", 24)).save(src / name)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where the folder for sub/b.png would go")
    assert colorize_main(["--ckpt", str(checkpoints["mse_cnn"]), str(src), "--out", str(out)]) == 1
    assert "b.png" in capsys.readouterr().err
    assert (out / "a.png").is_file() and (out / "c.png").is_file()


TRAINING_ONLY = ("pytorch_lightning", "lightning_fabric", "torchmetrics", "scipy", "timm", "torchvision")


def test_the_command_colorizes_without_importing_the_training_stack(checkpoints, tmp_path):
    """colorize starts in the time of torch: a checkpoint is rebuilt as its inference class, so Lightning,
    torchmetrics and SciPy are never imported, nor timm (and the torchvision and torch._dynamo it imports)
    for the GAN's ResNet encoder: seconds of start-up and hundreds of MB."""
    Image.fromarray(photo("astronaut", 48)).save(tmp_path / "in.png")
    argv = ["--ckpt", str(checkpoints["gan"]), str(tmp_path / "in.png"), "--out", str(tmp_path / "out")]
    code = (
        f"import sys; from colorgan.colorize import main; code = main({argv!r}); "
        f"print(code, sorted({{m.split('.')[0] for m in sys.modules}} & set({TRAINING_ONLY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "0 []", out.stdout
    assert Image.open(tmp_path / "out" / "in.png").size == (48, 48)

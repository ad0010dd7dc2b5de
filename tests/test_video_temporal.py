"""Optical flow, warping, the forward-backward check and the temporal filter: colour carried within a shot,
never across a cut."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2", reason="OpenCV is not installed (pip install 'colorgan[video]')")

from colorgan.errors import ConfigError  # noqa: E402
from colorgan.video import flow as of  # noqa: E402
from colorgan.video.synthetic import film_frames  # noqa: E402
from colorgan.video.temporal import FlowFilter, make_filter  # noqa: E402
from tests.conftest import photo  # noqa: E402

SIZE = (128, 72)


def gray(rgb: np.ndarray) -> np.ndarray:
    return rgb.mean(axis=-1).round().astype(np.uint8)


def film_L(first: np.ndarray, second: np.ndarray, n: int = 32) -> np.ndarray:
    """A film's L* ``(n, H, W)``: pan and zoom over ``first``, a cut at n/2, zoom and pan over ``second``."""
    return gray(np.stack(list(film_frames((first, second), SIZE, n, n // 2)))).astype(np.float32) / 2.55


@pytest.fixture(scope="module")
def shots() -> tuple[np.ndarray, int]:
    """Two photos, so the cut changes the lightness histogram as well as the content."""
    return film_L(photo("chelsea"), photo("coffee")), 16


@pytest.fixture(scope="module")
def mirrored() -> tuple[np.ndarray, int]:
    """A photo, then its mirror image: the cut hardly changes the histogram (0.1), only the flow breaks."""
    cat = photo("chelsea")
    return film_L(cat, cat[:, ::-1]), 16


def test_warp_follows_the_flow():
    image = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    shift = np.zeros((40, 50, 2), np.float32)
    shift[..., 0] = 3.0  # every pixel of A is 3 px to the right in B
    warped = of.warp(image, shift)
    np.testing.assert_allclose(warped[:, :-3], image[:, 3:])
    assert of.inside(shift)[:, :-3].all() and not of.inside(shift)[:, -3:].any()


def test_the_forward_backward_check_by_hand():
    """A: left half still, right half 5 px to the right. The check keeps what the backward flow confirms,
    and drops the motion boundary (the column before the step) and what leaves the frame."""
    h, w = 10, 20
    forward = np.zeros((h, w, 2), np.float32)
    forward[:, w // 2 :, 0] = 5.0
    backward = np.zeros((h, w, 2), np.float32)
    backward[:, w // 2 + 5 :, 0] = -5.0  # B's pixels that came from A's right half; B[10:15] is new
    expected = np.ones((h, w), bool)
    expected[:, w // 2 - 1] = False  # motion boundary
    expected[:, w - 5 :] = False  # x + 5 beyond the last column
    np.testing.assert_array_equal(of.consistent(forward, backward), expected)
    assert not of.consistent(forward, np.zeros_like(backward))[:, w // 2 :].any()  # unconfirmed: occluded


def test_flow_finds_a_pan_and_the_check_trusts_it():
    frames = gray(np.stack(list(film_frames((photo("chelsea"), photo("coffee")), SIZE, 24, 12))))
    a, b = frames[5], frames[6]
    forward, backward = of.flow(a, b), of.flow(b, a)
    reliable = of.consistent(forward, backward)
    assert reliable.mean() > 0.6
    warped = of.warp(b, forward).astype(float)
    assert np.abs(warped - a)[reliable].mean() < 0.5 * np.abs(b.astype(float) - a).mean()


def test_the_check_distrusts_flow_between_two_unrelated_photos():
    frames = gray(np.stack(list(film_frames((photo("chelsea"), photo("coffee")), SIZE, 24, 12))))
    a, b = frames[11], frames[12]  # the last frame of shot one, the first of shot two
    assert of.consistent(of.flow(a, b), of.flow(b, a)).mean() < 0.5


def test_histogram_distance():
    black, white = np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8)
    assert of.histogram_distance(of.histogram(black), of.histogram(white)) == 1.0
    half = np.concatenate([black[:2], white[:2]])
    assert of.histogram_distance(of.histogram(half), of.histogram(white)) == 0.5


@pytest.mark.parametrize("film", ["shots", "mirrored"])
def test_the_filter_resets_at_the_cut_and_nowhere_else(film, request):
    L, cut = request.getfixturevalue(film)
    flow = FlowFilter()
    for frame in L:
        flow(frame, np.zeros((2, *frame.shape), np.float32))
    assert flow.cuts == [0, cut]


def test_a_jump_of_the_lightness_histogram_is_a_cut(shots):
    """A wipe that turns 45% of a still frame white: most of the flow still holds, the histogram does not."""
    still = shots[0][3]
    wiped = still.copy()
    wiped[:, : int(0.45 * still.shape[1])] = 100.0
    flow = FlowFilter()
    for frame in (still, still, wiped, wiped):
        flow(frame, np.zeros((2, *frame.shape), np.float32))
    assert flow.cuts == [0, 2]


def test_what_the_flow_cannot_explain_keeps_its_own_colour(shots):
    """A flat white card appears over a still frame: the flow stays still and consistent on it, but the
    lightness there no longer matches, so the card takes its own prediction, not the colour behind it."""
    still = shots[0][3]
    card = still.copy()
    card[20:50, 40:90] = 100.0
    red, blue = np.zeros((2, *still.shape), np.float32), np.zeros((2, *still.shape), np.float32)
    red[0], blue[1] = 0.5, -0.5
    flow = FlowFilter()
    flow(still, red)
    out = flow(card, blue)
    np.testing.assert_array_equal(out[:, 24:46, 44:86], blue[:, 24:46, 44:86])  # inside the card, off its edge
    assert out[0, :10].mean() > 0.2  # around it, the red carried on


@pytest.mark.parametrize("film", ["shots", "mirrored"])
def test_no_colour_of_shot_one_reaches_shot_two(film, request):
    """Shot one is predicted red (+a), shot two blue (-b): every output pixel of shot two is the prediction."""
    L, cut = request.getfixturevalue(film)
    red, blue = np.array([0.5, 0.0], np.float32), np.array([0.0, -0.5], np.float32)
    flow = FlowFilter()
    for t, frame in enumerate(L):
        ab = np.broadcast_to((red if t < cut else blue)[:, None, None], (2, *frame.shape)).copy()
        out = flow(frame, ab)
        if t >= cut:
            np.testing.assert_array_equal(out, ab)


def test_colour_is_carried_along_the_motion_within_a_shot(shots):
    """A prediction that flickers (+a, -a in turn) is held near its running mean where the flow is reliable."""
    L, cut = shots
    flow = FlowFilter()
    spread = []
    for t in range(cut):
        sign = 1.0 if t % 2 == 0 else -1.0
        ab = np.zeros((2, *L[t].shape), np.float32)
        ab[0] = sign * 0.4
        spread.append(np.abs(flow(L[t], ab)[0]).mean())
    assert spread[0] == pytest.approx(0.4)
    assert max(spread[4:]) < 0.25  # alone the frames would swing by 0.4 either way


def test_the_temporal_mode_is_checked():
    assert make_filter("none") is None
    assert isinstance(make_filter("flow"), FlowFilter)
    with pytest.raises(ConfigError, match="none, flow"):
        make_filter("optical")

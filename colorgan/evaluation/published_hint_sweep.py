"""The published hint sweep of Zhang et al. 2017 (Fig. 6): PSNR against the number of revealed hints.

Source: richzhang/colorization-pytorch at commit 66a1cb2e5258f7c8f374f582acc8b1ef99c13c27 (MIT licence),
``resources/psnrs_siggraph.npy``: a (1000, 26) array of per-image PSNRs (dB) of the released SIGGRAPH 2017
model on 1,000 ImageNet validation images, resized to 256x256, each with N random 6x6 patches of their
mean true ab revealed; N = the repository's ``test_sweep.py`` grid (``unique(round(10 ** arange(-.1, 2.8,
.1)))`` with the first set to 0). Below: for each N, the mean over the images and its standard error
(std / sqrt(1000)), as ``test_sweep.py`` draws them; computed here from that file, rounded to 4 decimals.
"""

from __future__ import annotations

SOURCE = "Zhang et al. 2017, released SIGGRAPH model, 1000 ImageNet val images (colorization-pytorch)"
IMAGES = 1000
# (N hints, mean PSNR dB, standard error of the mean)
PSNR_BY_HINTS: tuple[tuple[int, float, float], ...] = (
    (0, 24.4347, 0.1416), (1, 25.3730, 0.1406), (2, 26.1983, 0.1411), (3, 26.6899, 0.1432),
    (4, 27.0837, 0.1446), (5, 27.3886, 0.1430), (6, 27.6493, 0.1432), (8, 28.1025, 0.1443),
    (10, 28.4225, 0.1447), (13, 28.7916, 0.1446), (16, 29.0415, 0.1449), (20, 29.3397, 0.1443),
    (25, 29.5978, 0.1442), (32, 29.9062, 0.1438), (40, 30.1748, 0.1436), (50, 30.4220, 0.1430),
    (63, 30.6757, 0.1422), (79, 30.9006, 0.1432), (100, 31.1251, 0.1429), (126, 31.3363, 0.1424),
    (158, 31.5207, 0.1417), (200, 31.6976, 0.1412), (251, 31.8512, 0.1406), (316, 31.9720, 0.1401),
    (398, 32.0728, 0.1394), (501, 32.1385, 0.1388),
)  # fmt: skip

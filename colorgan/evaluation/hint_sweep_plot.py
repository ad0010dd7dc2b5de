"""hint_sweep.png: PSNR against the number of hints on a log axis, one line per model with its 95% interval
shaded, and, on ImageNet, the published curve of Zhang et al. 2017 beside them."""

from __future__ import annotations

from pathlib import Path

from colorgan.evaluation.published_hint_sweep import IMAGES, PSNR_BY_HINTS, SOURCE

ZERO_AT = 0.4  # where N = 0 sits on the log axis (test_sweep.py's num_points_hack[0] = .4)
NORMAL_95 = 1.96  # the published standard errors as 95% intervals


def _x(n: int) -> float:
    return float(n) if n > 0 else ZERO_AT


def _draw_published(ax) -> None:
    n, mean, sem = zip(*PSNR_BY_HINTS)
    x = [_x(v) for v in n]
    ax.plot(x, mean, "s--", color="black", markersize=3, label=f"published: {SOURCE}")
    lows, highs = [m - NORMAL_95 * s for m, s in zip(mean, sem)], [m + NORMAL_95 * s for m, s in zip(mean, sem)]
    ax.fill_between(x, lows, highs, color="black", alpha=0.1, linewidth=0)


def plot_hint_sweep(rows: list[dict], path: Path, published: bool = False) -> Path:
    """Draw ``sweep_rows`` (PSNR) to ``path``; ``published``: add the released SIGGRAPH model's curve."""
    from matplotlib.figure import Figure  # not pyplot: no global backend or figure state, safe headless

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for model in dict.fromkeys(r["model"] for r in rows):
        points = sorted((r for r in rows if r["model"] == model), key=lambda r: r["n_hints"])
        x = [_x(r["n_hints"]) for r in points]
        hinted = points[0]["hints_used"]
        label = model if hinted else f"{model} (trained without hints: automatic)"
        (line,) = ax.plot(x, [r["psnr_mean"] for r in points], "o-" if hinted else "--", label=label, markersize=4)
        if all(r["psnr_ci95_low"] is not None for r in points):
            lows, highs = [r["psnr_ci95_low"] for r in points], [r["psnr_ci95_high"] for r in points]
            ax.fill_between(x, lows, highs, color=line.get_color(), alpha=0.2, linewidth=0)
    if published:
        _draw_published(ax)
    ticks = sorted({r["n_hints"] for r in rows} | ({0, 1, 2, 5, 10, 20, 50, 100, 200, 500} if published else set()))
    ax.set_xscale("log")
    ax.set_xticks([_x(n) for n in ticks], [str(n) for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("hints revealed (6x6 patches of the mean true ab, random places)")
    ax.set_ylabel("PSNR (dB), 95% interval shaded")
    n_images = rows[0]["n_images"]
    title = f"Hint sweep on {n_images} image{'s' if n_images != 1 else ''}"
    ax.set_title(title + (f" (published curve: {IMAGES} ImageNet val images)" if published else ""), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path

"""What each row of a table is: its checkpoints (seeds), how long each trained, whether a GAN ever left its
L1 pretraining, whether its pretrained parts had their weights, its precision, which checkpoint of its run,
the geometry it trained on and the size its net ran at here. A row that is not the paper's model carries a
mark beside its name in the table itself."""

from __future__ import annotations

from pathlib import Path

from colorgan.evaluation.provenance import RANDOM
from colorgan.evaluation.scoring import Evaluation
from colorgan.models.colorizer import Colorizer

L1_ONLY = "L1 pretraining only, never a GAN"


def _gan_phase(model: Colorizer) -> str | None:
    """Whether the GAN ever trained adversarially: its recorded count of GAN-phase updates, or for a checkpoint
    saved before that count existed, whether the epoch it was saved in came before its GAN phase."""
    phase = model.meta.get("gan_phase")
    if phase is not None:
        steps = int(phase.get("gan_steps", 0))
        return L1_ONLY if steps == 0 else f"GAN phase reached ({steps} updates)"
    config = model.model_config or {}  # as stored in the checkpoint
    if "discriminator" not in config:  # not a GAN
        return None
    epoch = (model.meta.get("checkpoint") or {}).get("epoch")
    if epoch is not None and epoch < int(config.get("pretrain_epochs") or 0):
        return L1_ONLY
    return "not recorded (an older checkpoint)"


def checkpoint_entry(key: str, model: Colorizer, path: Path, evaluation: Evaluation) -> dict:
    """One checkpoint as metrics.json records it."""
    meta, facts = model.meta, model.meta.get("checkpoint") or {}
    return {
        "path": str(path),
        "model": meta.get("name"),
        "steps": facts.get("steps"),
        "epochs": facts.get("epochs"),
        "selection": facts.get("selection"),
        "gan_phase": _gan_phase(model),
        "pretrained": meta.get("pretrained") or {},
        "precision": meta.get("precision"),
        "trained_geometry": meta.get("geometry"),
        "net_input": evaluation.net_input.get(key),
    }


def describe_rows(
    groups: dict[str, list[str]], models: dict[str, Colorizer], paths: dict[str, Path], evaluation: Evaluation
) -> dict[str, dict]:
    """``{row: {"checkpoints": [...], "marks": [...]}}`` for every model row (the gray baseline has none)."""
    rows = {}
    for row, members in groups.items():
        entries = [checkpoint_entry(k, models[k], paths[k], evaluation) for k in members]
        rows[row] = {"checkpoints": entries, "marks": marks(entries)}
    return rows


def _share(count: int, total: int) -> str:
    return "" if count == total else f" ({count} of {total} seeds)"


def marks(entries: list[dict]) -> list[str]:
    """What makes a row not its paper's model, said beside its name: an L1-only GAN, random pretrained parts."""
    found = []
    l1_only = sum(e["gan_phase"] == L1_ONLY for e in entries)
    if l1_only:
        found.append(L1_ONLY + _share(l1_only, len(entries)))
    parts = dict.fromkeys(p for e in entries for p in e["pretrained"])
    for part in parts:
        random = sum(e["pretrained"].get(part) == RANDOM for e in entries)
        if random:
            found.append(f"{part}: {RANDOM}" + _share(random, len(entries)))
    return found


def _span(values: list) -> str:
    known = sorted({v for v in values if v is not None})
    if not known:
        return "?"
    return str(known[0]) if len(known) == 1 else f"{known[0]}-{known[-1]}"


def rows_table(rows: dict[str, dict]) -> list[str]:
    """Markdown: one line per row saying what its checkpoints are (seeds summarised as ranges)."""
    lines = [
        "| row | checkpoints | steps | epochs | GAN phase | pretrained parts | precision | trained on | net input |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        entries = row["checkpoints"]
        phases = {e["gan_phase"] for e in entries} - {None}
        parts = {f"{p}: {v}" for e in entries for p, v in e["pretrained"].items()}
        geometries = {_geometry(e["trained_geometry"]) for e in entries}
        inputs = {_sizes(e["net_input"]) for e in entries}
        cells = [
            f"{len(entries)} x {', '.join(sorted({e['selection'] or '?' for e in entries}))}",
            _span([e["steps"] for e in entries]),
            _span([e["epochs"] for e in entries]),
            "; ".join(sorted(phases)) or "–",
            "; ".join(sorted(parts)) or "–",
            ", ".join(sorted({str(e["precision"]) for e in entries})),
            "; ".join(sorted(geometries)),
            "; ".join(sorted(inputs)),
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _geometry(record: dict | None) -> str:
    if not record:
        return "not recorded"
    size = record.get("size")
    extra = f", load {record['load_size']}" if record.get("load_size") else ""
    scored = f", scored at {record['eval_size']}" if record.get("eval_size") else ""
    return f"{record.get('kind')} {size}{extra}{scored}"


def _sizes(net_input: dict | None) -> str:
    return ", ".join(f"{part} {'x'.join(map(str, size))}" for part, size in (net_input or {}).items()) or "?"

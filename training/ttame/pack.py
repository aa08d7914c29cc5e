"""`export`: a trained checkpoint + its run's provenance + measured metrics -> a model pack."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .data import load_split
from .export import write_pack
from .model import load_explained
from .train import accuracy, describe

METRIC_KEYS = ("AD100", "IC100", "AD50", "IC50", "AD15", "IC15", "MoRF", "LeRF")


def _summary(run_dir: Path, name: str) -> dict:
    path = run_dir / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _backbone_chain(weights: Path) -> list[dict]:
    """The train-backbone runs behind a checkpoint, first to last (a fine-tuning run names its `init`)."""
    run = _summary(weights.parent, "train-backbone")
    if not run:
        return []
    return (_backbone_chain(Path(run["init"])) if run.get("init") else []) + [run]


def _hardware(backbone_runs: list[dict], attention_run: dict) -> str:
    """Where the runs trained, as they recorded it (runs older than that field trained on this machine's CPU)."""
    seen = dict.fromkeys(r.get("hardware") or describe(torch.device("cpu")) for r in (*backbone_runs, attention_run))
    return "; ".join(seen)


def export_pack(checkpoint: Path, out: Path, *, pack_id: str, version: str, evaluation: Path | None,
                hardware: str | None, command: str) -> dict:
    model = load_explained(checkpoint)
    attention_run = _summary(checkpoint.parent, "train-attention")
    backbone_runs = _backbone_chain(Path(attention_run["weights"])) if attention_run.get("weights") else []
    backbone_run = backbone_runs[-1] if backbone_runs else {}
    training = {
        "data": "CIFAR-10 train split (../shared/datasets/cifar10/train.tar.gz) minus a fixed 5000-image validation slice",
        "seed": int(attention_run.get("seed", 0)),
        "epochs": {"backbone": sum(int(r["epochs"]) for r in backbone_runs),
                   "attention": int(attention_run.get("epochs", 0))},
        "commands": [r["command"] for r in (*backbone_runs, attention_run) if "command" in r] + [command],
        "hardware": hardware or _hardware(backbone_runs, attention_run),
        "log": {
            "backbone": backbone_run.get("history", [])[-1:],
            "attention": attention_run.get("history", [])[-1:],
        },
    }
    top1 = accuracy(model.classify, load_split("test"))
    metrics: dict = {"top1": round(top1, 4)}
    if evaluation:
        results = json.loads(evaluation.read_text())["methods"]["ttame"]
        metrics["explanations"] = {k: round(results[k], 2) for k in METRIC_KEYS}
    manifest = write_pack(model, out, pack_id=pack_id, version=version, training=training, metrics=metrics)
    print(json.dumps({"pack": str(out), "top1": metrics["top1"], "sha256": manifest["onnx"]["sha256"]}))
    return manifest

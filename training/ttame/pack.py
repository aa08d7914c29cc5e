"""`export`: a trained checkpoint + its run's provenance + measured metrics -> a model pack."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .data import CifarTraining, batches, load_split, loader
from .export import write_pack
from .images import ImageFolderData
from .hardware import describe_hardware
from .labels import model_labels
from .metrics import METRICS, accuracy
from .model import ExplainedClassifier, load_checkpoint


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
    seen = dict.fromkeys(r.get("hardware") or describe_hardware(torch.device("cpu")) for r in (*backbone_runs, attention_run))
    return "; ".join(seen)


def _top1(model: ExplainedClassifier, labels: list[str], data: Path | None, labels_csv: Path | None,
          workers: int) -> tuple[float | None, str]:
    """Top-1 on the labelled photos of `data`, else on the CIFAR-10 test split for a 32 px model."""
    if data is not None:
        dataset = ImageFolderData(data, model.spec.preprocessing, labels, labels_csv)
        return accuracy(model.classify, loader(dataset, 64, workers)), dataset.describe()
    if model.spec.input_size != 32:
        return None, "none (give --data with labelled photos to measure top-1)"
    return accuracy(model.classify, batches(load_split("test"), 500, shuffle=False)), "CIFAR-10 test split"


def export_pack(checkpoint: Path, out: Path, *, pack_id: str, version: str, evaluation: Path | None,
                hardware: str | None, command: str, labels: list[str] | None = None, data: Path | None = None,
                labels_csv: Path | None = None, workers: int = 2) -> dict:
    model, record = load_checkpoint(checkpoint)
    labels = model_labels(model.spec, model.num_classes, labels if labels is not None else record.get("labels"))
    attention_run = _summary(checkpoint.parent, "train-attention")
    backbone_runs = _backbone_chain(Path(attention_run["weights"])) if attention_run.get("weights") else []
    backbone_run = backbone_runs[-1] if backbone_runs else {}
    training = {
        "data": record.get("data") or CifarTraining.description,
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
    top1, measured_on = _top1(model, labels, data, labels_csv, workers)
    metrics: dict = {"top1": round(top1, 4)} if top1 is not None else {}
    metrics["top1Data"] = measured_on
    if evaluation:
        results = json.loads(evaluation.read_text())["methods"]["ttame"]
        metrics["explanations"] = {k: round(results[k], 2) for k in METRICS}
    manifest = write_pack(model, out, pack_id=pack_id, version=version, labels=labels, training=training,
                          metrics=metrics)
    print(json.dumps({"pack": str(out), "top1": metrics.get("top1"), "numClasses": model.num_classes,
                      "mapSize": manifest["mapSize"], "sha256": manifest["onnx"]["sha256"]}))
    return manifest

"""Model-pack export: manifest.json + model.onnx (the contract of docs/design.md) + classifier.onnx (baseline)."""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .attention import min_max
from .model import ExplainedClassifier

OPSET = 17


class ExplanationGraph(nn.Module):
    """image [N,3,S,S] in [0,1], classes [N,K] int64 -> logits [N,Cls], class_ids [N,K], maps [N,K,He,We].

    classes: c >= 0 asks for class c, -r for the r-th highest-scoring class. Only the K requested rows of the
    fusion conv are computed, and each branch is mixed down to K channels *before* upsampling: fusion and
    bilinear upsampling are both linear, so sum_i up(W_i . A_i) equals fusion(concat(up(A_i)))."""

    def __init__(self, model: ExplainedClassifier):
        super().__init__()
        self.model = model
        self.map_size = model.attention.map_size
        fusion = model.attention.fusion
        self.register_buffer("fusion_weight", fusion.weight.detach()[:, :, 0, 0].clone())  # [Cls, sum C_i]
        self.register_buffer("fusion_bias", fusion.bias.detach().clone())

    def forward(self, image: torch.Tensor, classes: torch.Tensor):
        features, logits = self.model.backbone(self.model.standardize(image))
        ranked = logits.argsort(dim=1, descending=True)
        ranks = (-classes - 1).clamp(0, logits.shape[1] - 1)
        class_ids = torch.where(classes >= 0, classes, ranked.gather(1, ranks))
        maps = self.fusion_bias[class_ids][..., None, None]
        offset = 0
        for a in self.model.attention.branch_outputs(features):
            channels, height, width = a.shape[1], a.shape[2], a.shape[3]
            weight = self.fusion_weight[:, offset : offset + channels][class_ids]  # [N, K, C_i]
            offset += channels
            mixed = torch.bmm(weight, a.flatten(2)).reshape(weight.shape[0], weight.shape[1], height, width)
            if (height, width) != self.map_size:
                mixed = F.interpolate(mixed, self.map_size, mode="bilinear", align_corners=False)
            maps = maps + mixed
        return logits, class_ids, min_max(maps)


class ClassifierGraph(nn.Module):
    """The same backbone without the attention: image -> logits, features (last T-TAME layer, [N,C,h,w])."""

    def __init__(self, model: ExplainedClassifier):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor):
        features, logits = self.model.backbone(self.model.standardize(image))
        return logits, features[-1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def unfused_attention(model: nn.Module):
    """nn.MultiheadAttention (torchvision's ViTs) takes a fused fast path in eval mode that ONNX cannot export; in
    training mode it runs the plain ops, and with dropout 0 (checked) they compute exactly the same."""
    layers = [m for m in model.modules() if isinstance(m, nn.MultiheadAttention) and not m.training]
    if any(m.dropout for m in layers):
        raise ValueError("a MultiheadAttention layer has dropout > 0: its training mode would not equal inference")
    for m in layers:
        m.train()
    try:
        yield
    finally:
        for m in layers:
            m.eval()


def export_onnx(model: ExplainedClassifier, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    size = model.spec.input_size
    image = torch.rand(2, 3, size, size)
    classes = torch.tensor([[-1, -2, 3], [-1, 0, -3]])
    model_path, classifier_path = out_dir / "model.onnx", out_dir / "classifier.onnx"
    explanation, classifier = ExplanationGraph(model).eval(), ClassifierGraph(model).eval()
    preserve = torch.onnx.TrainingMode.PRESERVE  # modes as set here (see unfused_attention)
    with torch.no_grad(), unfused_attention(model):
        torch.onnx.export(explanation, (image, classes), model_path, opset_version=OPSET, training=preserve,
                          input_names=["image", "classes"], output_names=["logits", "class_ids", "maps"],
                          dynamic_axes={"image": {0: "N"}, "classes": {0: "N", 1: "K"}, "logits": {0: "N"},
                                        "class_ids": {0: "N", 1: "K"}, "maps": {0: "N", 1: "K"}})
        torch.onnx.export(classifier, (image,), classifier_path, opset_version=OPSET, training=preserve,
                          input_names=["image"], output_names=["logits", "features"],
                          dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}, "features": {0: "N"}})
    return model_path, classifier_path


def write_pack(model: ExplainedClassifier, out_dir: Path, *, pack_id: str, version: str, labels: list[str],
               training: dict, metrics: dict) -> dict:
    model_path, classifier_path = export_onnx(model, out_dir)
    spec = model.spec
    height, width = model.attention.map_size
    manifest = {
        "schemaVersion": 1,
        "id": pack_id,
        "version": version,
        "family": spec.family.name,
        "backbone": model.backbone_name,
        "featureLayers": list(model.feature_layers),
        "labels": labels,
        "numClasses": model.num_classes,
        "input": {"width": spec.input_size, "height": spec.input_size},
        "preprocessing": {"resizeShorter": spec.resize_shorter, "crop": spec.input_size,
                          "mean": list(spec.mean), "std": list(spec.std)},
        "mapSize": {"width": width, "height": height},
        "onnx": {"file": model_path.name, "sha256": sha256(model_path), "opset": OPSET},
        "classifier": {"file": classifier_path.name, "sha256": sha256(classifier_path)},
        "training": training,
        "metrics": metrics,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest

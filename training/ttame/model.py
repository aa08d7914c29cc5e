"""Frozen backbone + T-TAME attention, with standardisation inside (inputs are images in [0, 1])."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .attention import TTAME
from .backbones import BackboneSpec, FeatureBackbone, build_classifier, default_cam_layer, default_feature_layers, \
    resolve_backbone


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class ExplainedClassifier(nn.Module):
    """`forward(images in [0,1])` -> (logits, fused class maps before sigmoid/min-max).

    `backbone` is a spec or anything `resolve_backbone` takes; the class count is the classifier's own (its
    weights', else `num_classes`, else the spec's); `channel_gates` as `TTAME`'s."""

    def __init__(self, backbone: BackboneSpec | str | dict, num_classes: int | None = None,
                 weights: str | None = None, channel_gates: bool = False):
        super().__init__()
        self.spec = backbone if isinstance(backbone, BackboneSpec) else resolve_backbone(backbone)
        self.backbone_name = self.spec.name
        self.family = self.spec.family
        self.standardize = Standardize(self.spec.mean, self.spec.std)
        classifier = build_classifier(self.spec, weights, num_classes)
        self.feature_layers = self.spec.feature_layers or default_feature_layers(classifier, self.spec)
        self.cam_layer = default_cam_layer(classifier, self.spec, self.feature_layers)
        self.backbone = FeatureBackbone(classifier, self.family, self.feature_layers)
        self.backbone.requires_grad_(False).eval()
        with torch.no_grad():
            features, logits = self.backbone(torch.zeros(2, 3, self.spec.input_size, self.spec.input_size))
        self.num_classes = int(logits.shape[1])
        shapes = [f.shape[1:] for f in features]
        largest = max(shapes, key=lambda s: s[1] * s[2])
        self.attention = TTAME([s[0] for s in shapes], self.num_classes, (largest[1], largest[2]), channel_gates)

    def train(self, mode: bool = True):
        super().train(mode)
        self.backbone.eval()  # frozen: BN statistics of the backbone never move
        return self

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.standardize(images))[1]

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, logits = self.backbone(self.standardize(images))
        return logits, self.attention(features)


def confidence(model: ExplainedClassifier, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Softmax probability of each image's target class [B] (raw [0,1] images)."""
    return torch.softmax(model.classify(images), 1).gather(1, targets[:, None])[:, 0]


def load_checkpoint(checkpoint: str | Path) -> tuple[ExplainedClassifier, dict]:
    """A train-attention checkpoint -> (the model, the checkpoint's record: backbone reference, labels, ...)."""
    state = torch.load(checkpoint, map_location="cpu")
    model = ExplainedClassifier(state["backbone"], state.get("num_classes"),
                                channel_gates=state.get("channel_gates", False))  # absent: recorded before gates
    model.load_state_dict(state["model"])
    return model.eval(), state


def load_explained(checkpoint: str | Path) -> ExplainedClassifier:
    return load_checkpoint(checkpoint)[0]

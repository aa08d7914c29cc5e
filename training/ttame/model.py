"""Frozen backbone + T-TAME attention, with standardisation inside (inputs are images in [0, 1])."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .attention import TTAME, adapt_features
from .backbones import BACKBONES, FeatureBackbone, build_classifier


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class ExplainedClassifier(nn.Module):
    """`forward(images in [0,1])` -> (logits, fused class maps before sigmoid/min-max)."""

    def __init__(self, backbone_name: str, num_classes: int, weights: str | None = None):
        super().__init__()
        self.spec = BACKBONES[backbone_name]
        self.backbone_name = backbone_name
        self.standardize = Standardize(self.spec.mean, self.spec.std)
        self.backbone = FeatureBackbone(build_classifier(backbone_name, num_classes, weights), self.spec)
        self.backbone.requires_grad_(False).eval()
        with torch.no_grad():
            probe = torch.zeros(2, 3, self.spec.input_size, self.spec.input_size)
            shapes = [f.shape[1:] for f in adapt_features(self.backbone(probe)[0], self.spec.family)]
        largest = max(shapes, key=lambda s: s[1] * s[2])
        self.attention = TTAME([s[0] for s in shapes], num_classes, self.spec.family, (largest[1], largest[2]))

    @property
    def family(self) -> str:
        return self.spec.family

    def train(self, mode: bool = True):
        super().train(mode)
        self.backbone.eval()  # frozen: BN statistics of the backbone never move
        return self

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.standardize(images))[1]

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, logits = self.backbone(self.standardize(images))
        return logits, self.attention(features)


def load_explained(checkpoint: str | Path, num_classes: int = 10) -> ExplainedClassifier:
    """An ExplainedClassifier from a train-attention checkpoint (backbone + attention weights)."""
    state = torch.load(checkpoint, map_location="cpu")
    model = ExplainedClassifier(state["backbone"], num_classes)
    model.load_state_dict(state["model"])
    return model.eval()

"""The T-TAME attention mechanism (paper III-B, III-C): feature branches + fusion, for any backbone family."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class FeatureBranch(nn.Module):
    """1x1 conv -> BN -> + input (skip) -> ReLU, at the feature map's own resolution (Fig. 3b)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(x)) + x)


class TTAME(nn.Module):
    """Feature maps [B, C_i, H_i, W_i] of s backbone layers -> one explanation map per class, at the largest feature
    map's size. Family-agnostic: the backbone hands over maps (a ViT's tokens already laid out on their grid)."""

    def __init__(self, channels: Sequence[int], num_classes: int, map_size: tuple[int, int]):
        super().__init__()
        self.map_size = tuple(map_size)
        self.branches = nn.ModuleList(FeatureBranch(c) for c in channels)
        self.fusion = nn.Conv2d(sum(channels), num_classes, 1)  # Fig. 3c

    def branch_outputs(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [branch(f) for branch, f in zip(self.branches, features)]

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        """Fused class maps before the output non-linearity, [B, Cls, He, We]."""
        upsampled = [F.interpolate(a, self.map_size, mode="bilinear", align_corners=False)
                     for a in self.branch_outputs(features)]
        return self.fusion(torch.cat(upsampled, 1))


def min_max(maps: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-map min-max scaling to [0, 1] over the last two axes (the inference-time output, III-D)."""
    lo = maps.amin(dim=(-2, -1), keepdim=True)
    hi = maps.amax(dim=(-2, -1), keepdim=True)
    return (maps - lo) / (hi - lo + eps)

"""The T-TAME attention mechanism (paper III-B, III-C): feature branches + fusion, for any backbone family."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class ChannelGate(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): each channel scaled by a weight in (0, 1) read from the image's
    channel means. Not the paper's: with it the fusion's fixed per-class channel weights become per image, as
    Grad-CAM's and Score-CAM's are, still in one forward pass."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.squeeze = nn.Linear(channels, channels // reduction)
        self.excite = nn.Linear(channels // reduction, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.sigmoid(self.excite(torch.relu(self.squeeze(x.mean((2, 3))))))
        return x * weights[:, :, None, None]


class FeatureBranch(nn.Module):
    """1x1 conv -> BN -> + input (skip) -> ReLU, at the feature map's own resolution (Fig. 3b); with `gated`, then a
    `ChannelGate`."""

    def __init__(self, channels: int, gated: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.bn = nn.BatchNorm2d(channels)
        self.gate = ChannelGate(channels) if gated else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate(torch.relu(self.bn(self.conv(x)) + x))


class TTAME(nn.Module):
    """Feature maps [B, C_i, H_i, W_i] of s backbone layers -> one explanation map per class, at the largest feature
    map's size. Family-agnostic: the backbone hands over maps (a ViT's tokens already laid out on their grid).
    `channel_gates` adds a `ChannelGate` to every branch (not the paper's)."""

    def __init__(self, channels: Sequence[int], num_classes: int, map_size: tuple[int, int],
                 channel_gates: bool = False):
        super().__init__()
        self.map_size = tuple(map_size)
        self.channel_gates = channel_gates
        self.branches = nn.ModuleList(FeatureBranch(c, channel_gates) for c in channels)
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

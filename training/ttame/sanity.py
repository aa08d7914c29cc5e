"""Sanity checks of IV-F3: explanations must depend on the attention weights and on the backbone's top layers."""
from __future__ import annotations

import copy

import torch
from torch import nn

from .family import enclosing_block
from .model import ExplainedClassifier


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Spearman's rho per row of two [B, ...] tensors."""
    ra = a.flatten(1).argsort(1).argsort(1).float()
    rb = b.flatten(1).argsort(1).argsort(1).float()
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    return (ra * rb).sum(1) / (ra.norm(dim=1) * rb.norm(dim=1) + 1e-12)


def _reinitialise(module: nn.Module, seed: int) -> None:
    """Fresh random weights for every parameterised layer (BN statistics too) inside `module`."""
    torch.manual_seed(seed)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
        if hasattr(m, "reset_running_stats"):
            m.reset_running_stats()


@torch.no_grad()
def sanity_checks(model: ExplainedClassifier, images: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Mean rank correlation between the maps (for the original model-truth class) and the maps after randomising
    (a) the attention weights, (b) the backbone's feature layers cascading from the top, then the whole backbone
    (Adebayo et al.'s cascade down to full randomisation: in residual networks, the stream below the feature
    layers can carry much of what they pass on)."""
    model.eval()
    logits, maps = model(images)
    index = torch.arange(len(images)), logits.argmax(1)
    reference = maps[index]
    out = {}
    randomised = copy.deepcopy(model)
    _reinitialise(randomised.attention, seed)
    out["attention"] = rank_correlation(reference, randomised(images)[1][index]).mean().item()
    randomised, layers = copy.deepcopy(model), []
    classifier = randomised.backbone.classifier
    for layer in dict.fromkeys(enclosing_block(classifier, name) for name in reversed(model.feature_layers)):
        _reinitialise(classifier.get_submodule(layer), seed)
        layers.append(layer)
        out["backbone:" + "+".join(layers)] = rank_correlation(reference, randomised(images)[1][index]).mean().item()
    _reinitialise(randomised.backbone.classifier, seed)
    out["backbone:all"] = rank_correlation(reference, randomised(images)[1][index]).mean().item()
    return out

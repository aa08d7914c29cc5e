"""Evaluation measures: the classifier's top-1, and the explanation measures of paper IV-B, per image.

Explanation measures take saliency maps [B, H, W] in [0, 1] from any method; masking and imputation act on the
raw [0, 1] image. `METRICS` names them, in the order every results file, report and pack manifest uses.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from .model import confidence

AD_IC_LEVELS = (100, 50, 15)
ROAD_LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 90)
AD_IC = tuple(f"{kind}{level}" for level in AD_IC_LEVELS for kind in ("AD", "IC"))
ROAD = ("MoRF", "LeRF")
METRICS = AD_IC + ROAD
LOWER_IS_BETTER = frozenset({*(f"AD{level}" for level in AD_IC_LEVELS), "MoRF"})


@torch.no_grad()
def accuracy(classify, labelled_batches, device: torch.device = torch.device("cpu")) -> float | None:
    """Top-1 over the labelled images of (images, labels) batches (label -1 = unlabelled); None if there are none."""
    correct = seen = 0
    for images, labels in labelled_batches:
        known = labels >= 0
        if known.any():
            correct += (classify(images[known].to(device)).argmax(1).cpu() == labels[known]).sum().item()
            seen += int(known.sum())
    return correct / seen if seen else None


def keep_top(maps: torch.Tensor, percent: float) -> torch.Tensor:
    """phi_v: the map's own values on its top v% pixels, 0 elsewhere (v = 100 keeps the whole map)."""
    if percent >= 100:
        return maps
    flat = maps.flatten(1)
    k = max(1, math.ceil(percent / 100 * flat.shape[1]))
    threshold = flat.topk(k, 1).values[:, -1]
    return maps * (maps >= threshold[:, None, None])


@torch.no_grad()
def average_drop_increase(model, images, targets, maps, percent: float, clean_scores=None):
    """Per-image AD(v) (in %) and IC(v) (0 or 100, so that a mean is a percentage of images)."""
    p = confidence(model, images, targets) if clean_scores is None else clean_scores
    pv = confidence(model, images * keep_top(maps, percent)[:, None], targets)
    return torch.relu(p - pv) / p * 100, (pv > p).float() * 100


# 8-neighbour weights of ROAD's noisy linear imputer (Rong et al., 2022): direct 1/6, diagonal 1/12.
NEIGHBOURS = [((0, 1), 1 / 6), ((0, -1), 1 / 6), ((1, 0), 1 / 6), ((-1, 0), 1 / 6),
              ((1, 1), 1 / 12), ((1, -1), 1 / 12), ((-1, 1), 1 / 12), ((-1, -1), 1 / 12)]


def impute(image: np.ndarray, removed: np.ndarray, rng: np.random.Generator, noise: float = 0.01) -> np.ndarray:
    """Each removed pixel = weighted mean of its 8 neighbours (a sparse linear system over all removed pixels),
    plus Gaussian noise, so the shape of the removed region leaks no class information. image [3,H,W]."""
    _, h, w = image.shape
    ys, xs = np.nonzero(removed)
    n = len(ys)
    if n == 0:
        return image
    index = -np.ones((h, w), dtype=np.int64)
    index[ys, xs] = np.arange(n)
    rows, cols, vals = [], [], []
    diag = np.zeros(n)
    rhs = np.zeros((n, 3))
    for (dy, dx), weight in NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        src, ny, nx = np.nonzero(inside)[0], ny[inside], nx[inside]
        diag[src] += weight
        neighbour = index[ny, nx]
        unknown = neighbour >= 0
        rows.append(src[unknown]); cols.append(neighbour[unknown]); vals.append(np.full(unknown.sum(), -weight))
        np.add.at(rhs, src[~unknown], weight * image[:, ny[~unknown], nx[~unknown]].T)
    rows.append(np.arange(n)); cols.append(np.arange(n)); vals.append(diag)
    a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsc()
    solved = spsolve(a, rhs).reshape(n, 3)
    out = image.copy()
    out[:, ys, xs] = (solved + rng.normal(0, noise, solved.shape)).T
    return out


@torch.no_grad()
def road_by_level(model, images, targets, maps, most_relevant_first: bool, seed: int = 0) -> torch.Tensor:
    """ROAD's curve [len(ROAD_LEVELS), B]: each image's target confidence (in %) with v = 10..90 % of its pixels
    removed, most relevant first (MoRF) or least relevant first (LeRF), and imputed. Exactly round(v% x pixels) go at
    each level, so pixels tied at the threshold cannot take more than v% with them."""
    rng = np.random.default_rng(seed)
    flat = maps.flatten(1)
    order = flat.argsort(1, descending=most_relevant_first)
    scores = []
    for percent in ROAD_LEVELS:
        k = round(percent / 100 * flat.shape[1])
        removed = torch.zeros_like(flat, dtype=torch.bool)
        removed.scatter_(1, order[:, :k], True)
        removed = removed.view_as(maps).numpy()
        imputed = torch.stack([torch.from_numpy(impute(img.numpy().astype(np.float64), r, rng)).float()
                               for img, r in zip(images, removed)])
        scores.append(confidence(model, imputed, targets) * 100)
    return torch.stack(scores)


def measure(model, images, targets, maps, clean_scores=None) -> dict[str, torch.Tensor]:
    """Every measure of `METRICS`, per image [B], and ROAD's curves behind MoRF and LeRF as "MoRF by level" and
    "LeRF by level" [len(ROAD_LEVELS), B]: where along the removal a method gains or loses."""
    out = {}
    for level in AD_IC_LEVELS:
        out[f"AD{level}"], out[f"IC{level}"] = average_drop_increase(model, images, targets, maps, level, clean_scores)
    for kind in ROAD:
        out[f"{kind} by level"] = road_by_level(model, images, targets, maps, most_relevant_first=kind == "MoRF")
        out[kind] = out[f"{kind} by level"].mean(0)
    return out


def _standardised(maps: torch.Tensor) -> torch.Tensor:
    """[N, H, W] -> [N, H*W] rows of mean 0 and norm 1 (a constant map -> 0: uncorrelated with everything)."""
    z = maps.flatten(1).double()
    z = z - z.mean(1, keepdim=True)
    return z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)


def map_correlation(maps: torch.Tensor) -> float:
    """Mean Pearson correlation over all pairs of maps [N, H, W] (N >= 2): near 1 = the maps hardly depend on the
    image."""
    z = _standardised(maps)
    pairs = z @ z.T
    n = len(z)
    return ((pairs.sum() - pairs.diagonal().sum()) / (n * (n - 1))).item()


def correlation_with(maps: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean Pearson correlation of maps [N, H, W] with one reference map [H, W]."""
    return (_standardised(maps) @ _standardised(reference[None])[0]).mean().item()

"""Evaluation measures (paper IV-B): AD/IC at v% kept pixels and ROAD with noisy linear imputation.

Each takes saliency maps [B, H, W] in [0, 1] from any method; masking is applied to the raw [0,1] image.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from .model import confidence as softmax_scores

AD_IC_LEVELS = (100, 50, 15)
ROAD_LEVELS = (10, 20, 30, 40, 50, 60, 70, 80, 90)


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
    """Per-image AD(v) (in %) and IC(v) (0/1)."""
    p = softmax_scores(model, images, targets) if clean_scores is None else clean_scores
    pv = softmax_scores(model, images * keep_top(maps, percent)[:, None], targets)
    return torch.relu(p - pv) / p * 100, (pv > p).float()


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
def road(model, images, targets, maps, most_relevant_first: bool, seed: int = 0) -> float:
    """Mean target confidence (in %) over v = 10..90 % of pixels removed (MoRF) or kept-least-first (LeRF)."""
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
        scores.append(softmax_scores(model, imputed, targets).mean().item() * 100)
    return float(np.mean(scores))

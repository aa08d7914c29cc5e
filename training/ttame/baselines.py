"""Explanation methods to compare T-TAME against, sharing one pipeline (after pytorch-grad-cam).

Every method maps (model, images in [0,1], target classes) -> saliency [B, H, W] at image resolution, and
declares its cost in forward passes per explanation. CAM methods differ only in `channel_weights`.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .attention import min_max
from .model import ExplainedClassifier


class Method:
    name = "method"
    forward_passes = 1
    backward_passes = 0

    def __call__(self, model: ExplainedClassifier, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def to_image(maps: torch.Tensor, size) -> torch.Tensor:
    """[B, h, w] -> [B, H, W] bilinear, min-max scaled."""
    return min_max(F.interpolate(maps[:, None], size, mode="bilinear", align_corners=False)[:, 0])


def softmax_scores(model: ExplainedClassifier, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.softmax(model.classify(images), 1).gather(1, targets[:, None])[:, 0]


class TTameMethod(Method):
    name = "T-TAME"

    @torch.no_grad()
    def __call__(self, model, images, targets):
        maps = model(images)[1][torch.arange(len(targets)), targets]
        return to_image(maps, images.shape[-2:])


class CAM(Method):
    """Class activation maps relu(sum_k w_k A_k) on the model's CAM target layer (`Family.cam_layer`)."""

    def activations(self, model, images, targets, need_grad: bool):
        captured: list[torch.Tensor] = []
        layer = model.backbone.classifier.get_submodule(model.cam_layer)
        hook = layer.register_forward_hook(lambda module, inputs, output: captured.append(output))
        try:
            with torch.set_grad_enabled(need_grad):
                # the backbone is frozen, so the graph must start at the input for gradients to reach the layer
                logits = model.backbone(model.standardize(images.requires_grad_(need_grad)))[1]
                acts = captured[0]
                grads = torch.autograd.grad(logits.gather(1, targets[:, None]).sum(), acts)[0] if need_grad else None
        finally:
            hook.remove()
        to_map = model.family.to_map
        return to_map(acts.detach()), (to_map(grads) if grads is not None else None)

    def channel_weights(self, model, images, targets, acts, grads) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, model, images, targets):
        acts, grads = self.activations(model, images, targets, self.backward_passes > 0)
        weights = self.channel_weights(model, images, targets, acts, grads)
        return to_image(torch.relu((weights[:, :, None, None] * acts).sum(1)), images.shape[-2:])


class GradCAM(CAM):
    name, backward_passes = "Grad-CAM", 1

    def channel_weights(self, model, images, targets, acts, grads):
        return grads.mean((2, 3))


class GradCAMPlusPlus(CAM):
    name, backward_passes = "Grad-CAM++", 1

    def channel_weights(self, model, images, targets, acts, grads):
        g2, g3 = grads.pow(2), grads.pow(3)
        alpha = g2 / (2 * g2 + acts.sum((2, 3), keepdim=True) * g3 + 1e-7)
        alpha = torch.where(grads != 0, alpha, torch.zeros_like(alpha))
        return (alpha * torch.relu(grads)).sum((2, 3))


class ScoreCAM(CAM):
    """Weights = softmax over channels of the target score when the image is masked by each upsampled channel."""
    name = "Score-CAM"

    def __init__(self, batch_size: int = 256):
        self.batch_size = batch_size

    @torch.no_grad()
    def channel_weights(self, model, images, targets, acts, grads):
        self.forward_passes = acts.shape[1]
        masks = min_max(F.interpolate(acts, images.shape[-2:], mode="bilinear", align_corners=False))
        scores = torch.empty(acts.shape[:2])
        for i in range(len(images)):
            masked = masks[i][:, None] * images[i][None]  # [C, 3, H, W]
            target = targets[i].expand(len(masked))
            scores[i] = torch.cat([softmax_scores(model, chunk, t) for chunk, t in
                                   zip(masked.split(self.batch_size), target.split(self.batch_size))])
        return F.softmax(scores, 1)


class RISE(Method):
    """Randomized Input Sampling: saliency = E[score(I * M) M] over random upsampled binary grids."""
    name = "RISE"

    def __init__(self, masks: int = 4000, cells: int = 4, keep: float = 0.5, batch_size: int = 500, seed: int = 0):
        self.forward_passes, self.cells, self.keep, self.batch_size, self.seed = masks, cells, keep, batch_size, seed
        self._masks: torch.Tensor | None = None

    def masks(self, size: tuple[int, int]) -> torch.Tensor:
        """[masks, H, W]: a cells x cells grid of Bernoulli(keep) upsampled to (cells + 1) cells, cropped at a random
        shift of up to one cell along each axis, so cell borders fall anywhere in the image."""
        if self._masks is None or self._masks.shape[-2:] != size:
            g = torch.Generator().manual_seed(self.seed)
            h, w = size
            cell_h, cell_w = math.ceil(h / self.cells), math.ceil(w / self.cells)
            grid = (torch.rand(self.forward_passes, 1, self.cells, self.cells, generator=g) < self.keep).float()
            up = F.interpolate(grid, ((self.cells + 1) * cell_h, (self.cells + 1) * cell_w), mode="bilinear",
                               align_corners=False)
            ys = torch.randint(0, cell_h, (self.forward_passes,), generator=g).tolist()
            xs = torch.randint(0, cell_w, (self.forward_passes,), generator=g).tolist()
            self._masks = torch.stack([up[i, 0, y : y + h, x : x + w] for i, (y, x) in enumerate(zip(ys, xs))])
        return self._masks

    @torch.no_grad()
    def __call__(self, model, images, targets):
        masks = self.masks(tuple(images.shape[-2:]))
        out = torch.zeros(len(images), *images.shape[-2:])
        for i in range(len(images)):
            for chunk in masks.split(self.batch_size):
                scores = softmax_scores(model, chunk[:, None] * images[i][None], targets[i].expand(len(chunk)))
                out[i] += (scores[:, None, None] * chunk).sum(0)
        return min_max(out / (len(masks) * self.keep))


class RandomMap(Method):
    """Floor: uniform noise."""
    name = "Random"

    def __init__(self, seed: int = 0):
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, model, images, targets):
        return torch.rand(len(images), *images.shape[-2:], generator=self.generator)


class CentrePrior(Method):
    """Floor: a Gaussian centred on the image (objects in photos tend to be central)."""
    name = "Centre"

    def __call__(self, model, images, targets):
        h, w = images.shape[-2:]
        ys = torch.linspace(-1, 1, h)[:, None]
        xs = torch.linspace(-1, 1, w)[None]
        return min_max(torch.exp(-(ys ** 2 + xs ** 2) / 0.5)).expand(len(images), h, w).clone()


METHODS = {
    "ttame": TTameMethod,
    "gradcam": GradCAM,
    "gradcampp": GradCAMPlusPlus,
    "scorecam": ScoreCAM,
    "rise": RISE,
    "random": RandomMap,
    "centre": CentrePrior,
}

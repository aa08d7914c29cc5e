"""Explanation methods to compare T-TAME against, on one pipeline (after pytorch-grad-cam).

Every method maps (model, images in [0,1], target classes) -> saliency [B, H, W] at image resolution, min-max
scaled, and declares its cost in forward and backward passes per explanation. The CAM methods share
`CAM.__call__` (activations, gradients and target logits at the family's CAM target layer -> weighted activations
-> sum over channels -> ReLU -> upsampling -> min-max) and override only what differs: the channel weights
(Grad-CAM, Grad-CAM++, Score-CAM, Ablation-CAM) or the weighting per position (HiResCAM, LayerCAM).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .attention import min_max
from .model import ExplainedClassifier, confidence


class Method:
    name = "method"
    forward_passes = 1
    backward_passes = 0

    def __call__(self, model: ExplainedClassifier, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def to_image(maps: torch.Tensor, size) -> torch.Tensor:
    """[B, h, w] -> [B, H, W] bilinear, min-max scaled."""
    return min_max(F.interpolate(maps[:, None], size, mode="bilinear", align_corners=False)[:, 0])


class TTameMethod(Method):
    name = "T-TAME"

    @torch.no_grad()
    def __call__(self, model, images, targets):
        maps = model(images)[1][torch.arange(len(targets)), targets]
        return to_image(maps, images.shape[-2:])


@dataclass(frozen=True)
class Capture:
    """One pass at the CAM target layer: its output as maps [B, C, h, w], their gradients (None for gradient-free
    methods) and the target logits [B]."""
    activations: torch.Tensor
    gradients: torch.Tensor | None
    logits: torch.Tensor


class CAM(Method):
    """Class activation maps relu(sum_k W_k * A_k) on the model's CAM target layer (`Family.cam_layer`); W_k is a
    channel weight (`channel_weights`) unless a method weighs each position (`weighted_activations`)."""

    def layer(self, model: ExplainedClassifier) -> torch.nn.Module:
        return model.backbone.classifier.get_submodule(model.cam_layer)

    def capture(self, model: ExplainedClassifier, images: torch.Tensor, targets: torch.Tensor) -> Capture:
        captured: list[torch.Tensor] = []
        hook = self.layer(model).register_forward_hook(lambda module, inputs, output: captured.append(output))
        need_grad = self.backward_passes > 0
        try:
            with torch.set_grad_enabled(need_grad):
                # the backbone is frozen, so the graph must start at the input for gradients to reach the layer
                logits = model.classify(images.detach().requires_grad_(need_grad)).gather(1, targets[:, None])[:, 0]
                grads = torch.autograd.grad(logits.sum(), captured[0])[0] if need_grad else None
        finally:
            hook.remove()
        to_map = model.family.to_map
        return Capture(to_map(captured[0].detach()), to_map(grads) if need_grad else None, logits.detach())

    def channel_weights(self, model, images, targets, capture: Capture) -> torch.Tensor:
        """[B, C]"""
        raise NotImplementedError

    def weighted_activations(self, model, images, targets, capture: Capture) -> torch.Tensor:
        """[B, C, h, w], summed over channels into the map."""
        return self.channel_weights(model, images, targets, capture)[:, :, None, None] * capture.activations

    def __call__(self, model, images, targets):
        capture = self.capture(model, images, targets)
        cam = torch.relu(self.weighted_activations(model, images, targets, capture).sum(1))
        return to_image(cam, images.shape[-2:])


class GradCAM(CAM):
    """Selvaraju et al. 2017: W_k = the mean over positions of d logit / d A_k."""
    name, backward_passes = "Grad-CAM", 1

    def channel_weights(self, model, images, targets, capture):
        return capture.gradients.mean((2, 3))


class GradCAMPlusPlus(CAM):
    """Chattopadhay et al. 2018, in the exponential-score closed form pytorch-grad-cam uses."""
    name, backward_passes = "Grad-CAM++", 1

    def channel_weights(self, model, images, targets, capture):
        acts, grads = capture.activations, capture.gradients
        g2, g3 = grads.pow(2), grads.pow(3)
        alpha = g2 / (2 * g2 + acts.sum((2, 3), keepdim=True) * g3 + 1e-7)
        alpha = torch.where(grads != 0, alpha, torch.zeros_like(alpha))
        return (alpha * torch.relu(grads)).sum((2, 3))


class HiResCAM(CAM):
    """Draelos & Carin 2020: each position weighted by its own gradient, relu(sum_k dY/dA_k * A_k)."""
    name, backward_passes = "HiResCAM", 1

    def weighted_activations(self, model, images, targets, capture):
        return capture.gradients * capture.activations


class LayerCAM(CAM):
    """Jiang et al. 2021: each position weighted by its positive gradient, relu(sum_k relu(dY/dA_k) * A_k)."""
    name, backward_passes = "LayerCAM", 1

    def weighted_activations(self, model, images, targets, capture):
        return torch.relu(capture.gradients) * capture.activations


class PerChannelPasses(CAM):
    """Gradient-free CAMs that score each channel with a forward pass of its own, in batches of copies."""

    def __init__(self, batch_size: int = 256):
        self.batch_size = batch_size

    def channel_logits(self, model, image: torch.Tensor, target: torch.Tensor, channels: torch.Tensor,
                       activations: torch.Tensor) -> torch.Tensor:
        """The target logit for each of `channels` [n] of one image [3, H, W] (its activations [C, h, w]) -> [n]."""
        raise NotImplementedError

    @torch.no_grad()
    def channel_weights(self, model, images, targets, capture):
        count = capture.activations.shape[1]
        self.forward_passes = count + 1  # + the capturing pass
        return torch.stack([torch.cat([self.channel_logits(model, images[i], targets[i], channels,
                                                           capture.activations[i])
                                       for channels in torch.arange(count).split(self.batch_size)])
                            for i in range(len(images))])


class ScoreCAM(PerChannelPasses):
    """Wang et al. 2020 as published (Algorithm 1, the authors' code, pytorch-grad-cam): channel k, upsampled and
    min-max scaled, multiplies the standardised model input; W = the softmax over channels of the target logits of
    those masked inputs (the paper's baseline-image logit is the same for every channel, so the softmax drops it)."""
    name = "Score-CAM"

    def channel_logits(self, model, image, target, channels, activations):
        masks = min_max(F.interpolate(activations[channels][:, None], image.shape[-2:], mode="bilinear",
                                      align_corners=False))
        return model.backbone(masks * model.standardize(image[None]))[1][:, target]

    def channel_weights(self, model, images, targets, capture):
        return F.softmax(super().channel_weights(model, images, targets, capture), 1)


class AblationCAM(PerChannelPasses):
    """Desai & Ramaswamy 2020: W_k = (y - y_k) / y, y the target logit and y_k the same with channel k of the target
    layer's output set to zero (in every position and token)."""
    name = "Ablation-CAM"

    def channel_logits(self, model, image, target, channels, activations):
        axis = model.family.channel_axis

        def ablate(module, inputs, output):
            output = output.movedim(axis, 1).clone()
            output[torch.arange(len(channels)), channels] = 0
            return output.movedim(1, axis)

        hook = self.layer(model).register_forward_hook(ablate)
        try:
            return model.classify(image[None].expand(len(channels), -1, -1, -1))[:, target]
        finally:
            hook.remove()

    def channel_weights(self, model, images, targets, capture):
        ablated = super().channel_weights(model, images, targets, capture)
        return (capture.logits[:, None] - ablated) / capture.logits[:, None]


class RISE(Method):
    """Petsiuk et al. 2018: saliency = E[score(I * M) M] over random binary grids, upsampled and shifted."""
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
                scores = confidence(model, chunk[:, None] * images[i][None], targets[i].expand(len(chunk)))
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
    """Floor: a Gaussian centred on the image (objects in photos tend to be central); the same map for every image."""
    name = "Centre"

    def prior(self, h: int, w: int) -> torch.Tensor:
        ys = torch.linspace(-1, 1, h)[:, None]
        xs = torch.linspace(-1, 1, w)[None]
        return min_max(torch.exp(-(ys ** 2 + xs ** 2) / 0.5))

    def __call__(self, model, images, targets):
        return self.prior(*images.shape[-2:]).expand(len(images), -1, -1).clone()


class FramePrior(CentrePrior):
    """Floor: 1 - the centre prior, a frame around an empty centre (what blacking out the centre rewards)."""
    name = "Frame"

    def prior(self, h, w):
        return 1 - super().prior(h, w)


METHODS = {
    "ttame": TTameMethod,
    "gradcam": GradCAM,
    "gradcampp": GradCAMPlusPlus,
    "hirescam": HiResCAM,
    "layercam": LayerCAM,
    "scorecam": ScoreCAM,
    "ablationcam": AblationCAM,
    "rise": RISE,
    "random": RandomMap,
    "centre": CentrePrior,
    "frame": FramePrior,
}

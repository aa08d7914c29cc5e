"""What the training masking puts where a map is low. The paper multiplies by the map, so the removed pixels turn
black (CNN, Eq. 13) or the dataset's mean colour (ViT, Eq. 14); the attention then also learns how the classifier
reacts to that fill, which AD/IC, scored with the same black masking, reward. The other fills keep the image's
own low-frequency content, impute it from the kept pixels as ROAD does, or randomise it, so that the reaction to
one fixed colour is not worth learning. A fill is f(images [B,3,H,W], masks [B,1,H,W]) -> raw images."""
from __future__ import annotations

import math
from functools import cache
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

Fill = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mean_colour(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Each image's own mean colour, everywhere."""
    return images.mean((2, 3), keepdim=True).expand_as(images)


def blurred(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The image under a Gaussian blur of sigma = 1/8 of its longer side: shapes and colours without detail."""
    sigma = max(images.shape[-2:]) / 8
    kernel = min(2 * math.ceil(2 * sigma) + 1, 2 * (min(images.shape[-2:]) // 2) - 1)  # reflect padding < side
    return TF.gaussian_blur(images, [kernel, kernel], [sigma, sigma])


def uniform_noise(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    return torch.rand_like(images)


def pixel_black(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Black pixels. For a CNN the paper's fill; for a ViT not (its Eq. 14 fill is the dataset's mean colour)."""
    return torch.zeros_like(images)


def imputed(images: torch.Tensor, masks: torch.Tensor, noise: float = 0.01) -> torch.Tensor:
    """The removed pixels interpolated from the kept ones around them, plus ROAD's Gaussian noise: the soft-mask
    counterpart of ROAD's noisy linear imputer (`metrics.impute`, a sparse solve per image), which trains the
    attention on the removal that ROAD scores. Pull-push interpolation (Gortler et al., 1996): mask-weighted means
    on a pyramid down to 1x1, then from the top each level's kept share plus the coarser estimate for the rest."""
    levels = [(images * masks, masks)]
    while max(levels[-1][1].shape[-2:]) > 1:
        levels.append(tuple(F.avg_pool2d(t, 2, ceil_mode=True) for t in levels[-1]))
    kept, weight = levels[-1]
    estimate = kept / weight.clamp_min(1e-6)  # 1x1: the mask-weighted mean colour
    for kept, weight in reversed(levels[1:-1]):
        estimate = kept + (1 - weight) * F.interpolate(estimate, kept.shape[-2:], mode="bilinear", align_corners=False)
    estimate = F.interpolate(estimate, images.shape[-2:], mode="bilinear", align_corners=False)
    return estimate + noise * torch.randn_like(estimate)


def one_of(*fills: Fill, weights: Sequence[float] | None = None) -> Fill:
    """A fill that draws one of `fills` for each image, uniformly or in proportion to `weights`."""
    def fill(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        options = torch.stack([f(images, masks) for f in fills])
        if weights is None:  # the draws of the runs made before weights
            pick = torch.randint(len(fills), (len(images),), device=images.device)
        else:
            odds = torch.tensor(weights, dtype=torch.float)
            pick = torch.multinomial(odds, len(images), replacement=True).to(images.device)
        return options[pick, torch.arange(len(images), device=images.device)]
    return fill


# None = the paper's masking (a product with the map).
FILLS = {"black": None, "mean": mean_colour, "blur": blurred, "noise": uniform_noise, "impute": imputed,
         "mixed": one_of(pixel_black, mean_colour, blurred, uniform_noise),
         "black-or-mean": one_of(pixel_black, mean_colour), "black-or-impute": one_of(pixel_black, imputed)}
# What a weighted mix draws from; black here is pixel black on either family.
MIXABLE = {"black": pixel_black, "mean": mean_colour, "blur": blurred, "noise": uniform_noise, "impute": imputed}


@cache  # asked on every training step: a name is parsed once
def named_fill(name: str) -> Fill | None:
    """A FILLS name, or a weighted mix of MIXABLE fills drawn per image: "impute:3,black:1" fills a quarter of the
    images black and imputes the rest."""
    if name in FILLS:
        return FILLS[name]
    try:
        parts = [(fill, float(weight)) for fill, weight in (part.split(":") for part in name.split(","))]
    except ValueError:
        parts = []
    if not parts or any(fill not in MIXABLE or not weight > 0 for fill, weight in parts):
        raise ValueError(f"fill {name!r}: one of {', '.join(FILLS)}, or a mix like impute:3,black:1 of "
                         f"{', '.join(MIXABLE)} with positive weights")
    return one_of(*(MIXABLE[fill] for fill, _ in parts), weights=[weight for _, weight in parts])

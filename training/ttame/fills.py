"""What the training masking puts where a map is low. The paper multiplies by the map, so the removed pixels turn
black (CNN, Eq. 13) or the dataset's mean colour (ViT, Eq. 14); the attention then also learns how the classifier
reacts to that fill, which AD/IC, scored with the same black masking, reward. The other fills keep the image's
own low-frequency content or randomise it, so that the reaction to one fixed colour is not worth learning."""
from __future__ import annotations

import math
from typing import Callable

import torch
import torchvision.transforms.functional as TF


def mean_colour(images: torch.Tensor) -> torch.Tensor:
    """Each image's own mean colour, everywhere."""
    return images.mean((2, 3), keepdim=True).expand_as(images)


def blurred(images: torch.Tensor) -> torch.Tensor:
    """The image under a Gaussian blur of sigma = 1/8 of its longer side: shapes and colours without detail."""
    sigma = max(images.shape[-2:]) / 8
    kernel = min(2 * math.ceil(2 * sigma) + 1, 2 * (min(images.shape[-2:]) // 2) - 1)  # reflect padding < side
    return TF.gaussian_blur(images, [kernel, kernel], [sigma, sigma])


def uniform_noise(images: torch.Tensor) -> torch.Tensor:
    return torch.rand_like(images)


def pixel_black(images: torch.Tensor) -> torch.Tensor:
    """Black pixels. For a CNN the paper's fill; for a ViT not (its Eq. 14 fill is the dataset's mean colour)."""
    return torch.zeros_like(images)


def one_of(*fills: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """A fill that draws one of `fills` at random for each image."""
    def fill(images: torch.Tensor) -> torch.Tensor:
        options = torch.stack([f(images) for f in fills])
        pick = torch.randint(len(fills), (len(images),), device=images.device)
        return options[pick, torch.arange(len(images), device=images.device)]
    return fill


# None = the paper's masking (a product with the map).
FILLS = {"black": None, "mean": mean_colour, "blur": blurred, "noise": uniform_noise,
         "mixed": one_of(pixel_black, mean_colour, blurred, uniform_noise),
         "black-or-mean": one_of(pixel_black, mean_colour)}

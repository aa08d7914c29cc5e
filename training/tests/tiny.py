"""Tiny hand-made classifiers for tests whose expected values are worked out by hand."""
import torch
from torch import nn

from ttame.backbones import BackboneSpec
from ttame.family import FAMILIES
from ttame.model import ExplainedClassifier


def tiny(module, family: str = "cnn") -> ExplainedClassifier:
    """`module(num_classes=2)` as a 2-class ExplainedClassifier on 2x2 inputs, standardisation the identity and its
    `features` submodule the one feature layer."""
    spec = BackboneSpec(module.__name__, FAMILIES[family], module, 2, 2, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 2,
                        ("features",))
    return ExplainedClassifier(spec).eval()


class Probabilities(nn.Module):
    """Logits = log(p, 1 - p) for a P(class 0) = `p0(image)` in (0, 1), so that softmax gives p back exactly."""

    def __init__(self, num_classes: int = 2):
        super().__init__()
        self.features = nn.Identity()

    def p0(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x):
        p = self.p0(self.features(x)).clamp(1e-6, 1 - 1e-6)
        return torch.stack([p.log(), (1 - p).log()], 1)


class FirstChannelBrightness(Probabilities):
    """P(class 0) = the mean of the image's first channel."""

    def p0(self, x):
        return x[:, 0].mean((1, 2))


class TopLeftPixel(Probabilities):
    """P(class 0) = 1/4 + 1/2 x the first channel of the top-left pixel."""

    def p0(self, x):
        return 0.25 + 0.5 * x[:, 0, 0, 0]

"""Backbones as data: each entry names its family, builder, the T-TAME feature layers and its input.

A new backbone is a new entry in BACKBONES, not a new code path. Feature layers are picked by module
name, the same way for our CIFAR models and torchvision's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
import torchvision

from .data import CIFAR10_MEAN, CIFAR10_STD

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ---- the project's own CIFAR-10 backbones -------------------------------------------------------

def conv_bn(cin: int, cout: int, pool: bool = False) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*(layers + [nn.MaxPool2d(2)] if pool else layers))


class Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x):
        return x + self.body(x)


class CifarResNet(nn.Module):
    """ResNet-9-style CNN for 32x32 inputs (the fast-to-train DAWNBench layout, narrower):
    prep -> layer1 (conv, pool, residual) -> layer2 (conv, pool) -> layer3 (conv, pool, residual) -> max-pool -> fc.
    Stage outputs are 16x16, 8x8 and 4x4."""

    def __init__(self, widths=(24, 48, 96, 192), num_classes: int = 10):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.prep = conv_bn(3, w0)
        self.layer1 = nn.Sequential(conv_bn(w0, w1, pool=True), Residual(w1))
        self.layer2 = conv_bn(w1, w2, pool=True)
        self.layer3 = nn.Sequential(conv_bn(w2, w3, pool=True), Residual(w3))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(w3, num_classes, bias=False)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.prep(x))))
        return self.fc(torch.flatten(self.pool(x), 1)) * 0.125  # logit scale of the DAWNBench ResNet-9


class SelfAttention(nn.Module):
    """Multi-head self-attention written out (nn.MultiheadAttention's fused fast path cannot be exported to ONNX)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5).softmax(-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, d))


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(), nn.Linear(int(dim * mlp_ratio), dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CifarViT(nn.Module):
    """Small ViT for 32x32 inputs: a convolutional patch stem (32 -> 8x8 tokens), class token, encoder blocks.

    The conv stem gives the transformer locality priors, which is what lets it train in a CPU budget.
    """

    def __init__(self, dim: int = 128, depth: int = 6, heads: int = 4, mlp_ratio: float = 2.0, num_classes: int = 10):
        super().__init__()
        def conv(cin, cout, stride):
            # ReLU, not GELU: torch 1.13's GELU backward is wrong on the strided gradients the token reshape
            # sends back through the stem (found by tests/test_backbones.py; fixed in later torch releases).
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
        self.patch_embed = nn.Sequential(conv(3, 32, 1), conv(32, 64, 2), conv(64, dim, 2))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 65, dim) * 0.02)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


# ---- the registry ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackboneSpec:
    family: str  # "cnn" | "vit"
    build: Callable[[int], nn.Module]  # num_classes -> model
    feature_layers: tuple[str, ...]  # module names, in network order
    input_size: int
    resize_shorter: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    pretrained_weights: str | None = None  # torchvision weights enum name, where the network allows
    # Target layer of the CAM baselines; None = the last feature layer. A ViT's head reads only the class token,
    # so the patch tokens of the last block get no gradient: CAMs use that block's first LayerNorm instead,
    # as pytorch-grad-cam (the paper's baseline implementation) recommends for ViTs.
    cam_layer: str | None = None

    @property
    def cam_target(self) -> str:
        return self.cam_layer or self.feature_layers[-1]


BACKBONES: dict[str, BackboneSpec] = {
    "cifar_resnet": BackboneSpec("cnn", lambda n: CifarResNet(num_classes=n), ("layer1", "layer2", "layer3"),
                                 32, 32, CIFAR10_MEAN, CIFAR10_STD),
    # Wider early stages: more compute per image, ~14 % more parameters (layer3 holds most of them).
    "cifar_resnet_wide": BackboneSpec("cnn", lambda n: CifarResNet((32, 64, 128, 192), n),
                                      ("layer1", "layer2", "layer3"), 32, 32, CIFAR10_MEAN, CIFAR10_STD),
    "cifar_vit": BackboneSpec("vit", lambda n: CifarViT(num_classes=n), ("blocks.3", "blocks.4", "blocks.5"),
                              32, 32, CIFAR10_MEAN, CIFAR10_STD, cam_layer="blocks.5.ln1"),
    "vgg16": BackboneSpec("cnn", lambda n: torchvision.models.vgg16(num_classes=n),
                          ("features.16", "features.23", "features.30"),
                          224, 256, IMAGENET_MEAN, IMAGENET_STD, "VGG16_Weights.IMAGENET1K_V1"),
    "resnet50": BackboneSpec("cnn", lambda n: torchvision.models.resnet50(num_classes=n),
                             ("layer2", "layer3", "layer4"),
                             224, 256, IMAGENET_MEAN, IMAGENET_STD, "ResNet50_Weights.IMAGENET1K_V1"),
    "vit_b_16": BackboneSpec("vit", lambda n: torchvision.models.vit_b_16(num_classes=n),
                             ("encoder.layers.encoder_layer_9", "encoder.layers.encoder_layer_10",
                              "encoder.layers.encoder_layer_11"),
                             224, 256, IMAGENET_MEAN, IMAGENET_STD, "ViT_B_16_Weights.IMAGENET1K_V1",
                             cam_layer="encoder.layers.encoder_layer_11.ln_1"),
}


def build_classifier(name: str, num_classes: int, weights: str | None = None) -> nn.Module:
    """A backbone classifier; `weights` is a local checkpoint path, a torchvision weights enum name, or
    "pretrained" for the entry's own enum (the paper's ImageNet weights)."""
    spec = BACKBONES[name]
    if weights == "pretrained":
        if not spec.pretrained_weights:
            raise ValueError(f"{name} has no pretrained weights to download; train it with train-backbone")
        weights = spec.pretrained_weights
    if weights and not weights.endswith((".pt", ".pth")):
        model = getattr(torchvision.models, name)(weights=weights)  # downloads where the network allows
    else:
        model = spec.build(num_classes)
        if weights:
            state = torch.load(weights, map_location="cpu")
            model.load_state_dict(state.get("model", state))
    return model


class FeatureBackbone(nn.Module):
    """Frozen classifier that returns (feature maps of the T-TAME layers, logits) in one pass.

    Forward hooks on the named modules work for any architecture (FX tracing fails on torchvision's ViT) and
    are recorded by ONNX tracing like any other op."""

    def __init__(self, classifier: nn.Module, spec: BackboneSpec):
        super().__init__()
        self.classifier = classifier
        self._captured: list[torch.Tensor] = []
        for layer in spec.feature_layers:
            classifier.get_submodule(layer).register_forward_hook(self._capture)

    def _capture(self, module, inputs, output):
        self._captured.append(output)

    def forward(self, x):
        self._captured = []
        logits = self.classifier(x)
        features, self._captured = self._captured, []
        return features, logits

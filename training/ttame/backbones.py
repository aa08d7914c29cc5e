"""Backbones as data: a spec names the family, how to build the classifier, its input and, optionally, the T-TAME
feature layers (otherwise found by probing: the last three stages of a CNN, the last three blocks of a ViT).

Three sources give specs, and nothing downstream knows which one did: the registry below (our CIFAR-10 models and
the paper's three torchvision backbones with its layer choices), any torchvision classifier by name, and a user's
own `nn.Module` through a small TOML spec file (`load_spec_file`).
"""
from __future__ import annotations

import importlib
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
import torchvision
from torch import nn

from .data import CIFAR10_LABELS, CIFAR10_MEAN, CIFAR10_STD
from .family import FAMILIES, Family, ModuleCall
from .images import Preprocessing

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The 1000 ImageNet category names ship inside torchvision's code (no download).
IMAGENET_LABELS = tuple(torchvision.models._meta._IMAGENET_CATEGORIES)


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


# ---- specs ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackboneSpec:
    name: str
    family: Family
    build: Callable[[int], nn.Module]  # num_classes -> model
    input_size: int
    resize_shorter: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    num_classes: int  # what a model is built with when neither weights nor labels say otherwise
    feature_layers: tuple[str, ...] = ()  # module names in network order; () = found by `default_feature_layers`
    cam_layer: str | None = None  # target layer of the CAM baselines; None = the family's (`Family.cam_layer`)
    labels: tuple[str, ...] | None = None  # the usual classes' labels, where they are known
    pretrained_weights: str | None = None  # torchvision weights enum name, where the network allows
    # How to find this spec again (stored in checkpoints): a name, or a spec file's content.
    reference: str | dict = field(default="", compare=False)

    @property
    def preprocessing(self) -> Preprocessing:
        """How a photo becomes this model's input: the serving worker's resize and centre crop."""
        return Preprocessing(self.resize_shorter, self.input_size)


def cifar_spec(name: str, family: str, build: Callable[[int], nn.Module], layers: tuple[str, ...]) -> BackboneSpec:
    return BackboneSpec(name, FAMILIES[family], build, 32, 32, CIFAR10_MEAN, CIFAR10_STD, 10, layers,
                        labels=tuple(CIFAR10_LABELS), reference=name)


UNSUPPORTED_TORCHVISION = ("swin_", "maxvit_")  # channels-last window tokens: neither a CNN map nor a ViT sequence


def torchvision_spec(name: str, **overrides) -> BackboneSpec:
    """Any torchvision classifier by name; input size and resize come from its default weights' transforms."""
    if name not in torchvision.models.list_models(module=torchvision.models):
        raise KeyError(name)
    if name.startswith(UNSUPPORTED_TORCHVISION):
        raise ValueError(f"{name}: its features are windowed channels-last tokens, which T-TAME here does not adapt")
    builder = torchvision.models.get_model_builder(name)
    weights = torchvision.models.get_model_weights(name).DEFAULT
    transform = getattr(weights.transforms, "keywords", {})
    family = FAMILIES["vit" if builder.__module__.endswith("vision_transformer") else "cnn"]
    spec = BackboneSpec(name, family, lambda n: builder(num_classes=n), transform.get("crop_size", 224),
                        transform.get("resize_size", 256), tuple(transform.get("mean", IMAGENET_MEAN)),
                        tuple(transform.get("std", IMAGENET_STD)), 1000, labels=IMAGENET_LABELS,
                        pretrained_weights=f"{type(weights).__name__}.{weights.name}", reference=name)
    return replace(spec, **overrides)


BACKBONES: dict[str, BackboneSpec] = {
    "cifar_resnet": cifar_spec("cifar_resnet", "cnn", lambda n: CifarResNet(num_classes=n),
                               ("layer1", "layer2", "layer3")),
    # Wider early stages: more compute per image, ~14 % more parameters (layer3 holds most of them).
    "cifar_resnet_wide": cifar_spec("cifar_resnet_wide", "cnn", lambda n: CifarResNet((32, 64, 128, 192), n),
                                    ("layer1", "layer2", "layer3")),
    "cifar_vit": cifar_spec("cifar_vit", "vit", lambda n: CifarViT(num_classes=n), ("blocks.5.attn", "blocks.5.mlp")),
    # The paper's layer choices: VGG-16's last three max-pools, ResNet-50's last three stages, ViT-B/16's last blocks.
    "vgg16": torchvision_spec("vgg16", feature_layers=("features.16", "features.23", "features.30")),
    "resnet50": torchvision_spec("resnet50", feature_layers=("layer2", "layer3", "layer4"),
                                 pretrained_weights="ResNet50_Weights.IMAGENET1K_V1"),
    "vit_b_16": torchvision_spec("vit_b_16", feature_layers=tuple(f"encoder.layers.encoder_layer_{i}" for i in (9, 10, 11))),
}

SPEC_FILE_KEYS = {"name", "factory", "family", "input_size", "resize_shorter", "mean", "std", "num_classes",
                  "feature_layers", "cam_layer"}


def spec_from_file_content(content: dict, base_dir: Path) -> BackboneSpec:
    """A spec file's content (see `load_spec_file`) -> a spec; `base_dir` is where its module is looked up first."""
    unknown = set(content) - SPEC_FILE_KEYS - {"base_dir"}
    missing = {"factory", "family", "input_size"} - set(content)
    if unknown or missing:
        raise ValueError(f"backbone spec: unknown keys {sorted(unknown)}, missing keys {sorted(missing)} "
                         f"(allowed: {sorted(SPEC_FILE_KEYS)})")
    module_name, _, factory_name = content["factory"].partition(":")
    if not factory_name:
        raise ValueError(f"backbone spec: factory must be 'module:callable', not {content['factory']!r}")
    if str(base_dir) not in sys.path:
        sys.path.insert(0, str(base_dir))
    factory = getattr(importlib.import_module(module_name), factory_name)
    if content["family"] not in FAMILIES:
        raise ValueError(f"backbone spec: family must be one of {sorted(FAMILIES)}")
    size = int(content["input_size"])
    return BackboneSpec(content.get("name", module_name), FAMILIES[content["family"]],
                        lambda n: factory(num_classes=n), size, int(content.get("resize_shorter", size)),
                        tuple(content.get("mean", IMAGENET_MEAN)), tuple(content.get("std", IMAGENET_STD)),
                        int(content.get("num_classes", 1000)), tuple(content.get("feature_layers", ())),
                        content.get("cam_layer"), reference={**content, "base_dir": str(base_dir)})


def load_spec_file(path: Path) -> BackboneSpec:
    """A TOML file describing a user's own classifier:

        factory = "mynet:build"        # module:callable, called as build(num_classes=N) -> nn.Module
        family = "cnn"                 # or "vit"
        input_size = 224               # the centre crop the model sees
        resize_shorter = 256           # the shorter side is resized to this first (default: input_size)
        mean = [0.485, 0.456, 0.406]   # standardisation (default: ImageNet's)
        std = [0.229, 0.224, 0.225]
        feature_layers = ["layer2", "layer3", "layer4"]   # optional: default the last three stages / blocks
        name = "mynet"                 # optional, recorded in the pack (default: the module name)

    The module is imported from the spec file's folder first, then from sys.path."""
    return spec_from_file_content(tomllib.loads(path.read_text()), path.resolve().parent)


def resolve_backbone(reference: str | dict) -> BackboneSpec:
    """A registry name, a torchvision classifier name, a path to a .toml spec file, or a stored spec-file content."""
    if isinstance(reference, dict):
        return spec_from_file_content(reference, Path(reference.get("base_dir", ".")))
    if reference in BACKBONES:
        return BACKBONES[reference]
    if reference.endswith(".toml"):
        return load_spec_file(Path(reference))
    try:
        return torchvision_spec(reference)
    except KeyError:
        raise ValueError(f"unknown backbone {reference!r}: give one of {sorted(BACKBONES)}, a torchvision classifier "
                         f"name (e.g. resnet18, mobilenet_v3_large, efficientnet_b0, convnext_tiny), or a .toml "
                         f"spec file") from None


# ---- building a classifier -------------------------------------------------------------------------

# Where a train-attention checkpoint (`ExplainedClassifier`'s state under "model") keeps the frozen classifier.
EXPLAINED_CLASSIFIER = "backbone.classifier."


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A checkpoint's weights: a bare state dict or one under "model" / "state_dict" (DataParallel prefixes dropped).
    Of a train-attention checkpoint (a pack's, in training/checkpoints), the classifier it explains: the attention
    can be retrained on a shipped classifier without the backbone run that made it."""
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "num_classes" in state and isinstance(state.get("model"), dict):  # train-attention's
        return {k.removeprefix(EXPLAINED_CLASSIFIER): v for k, v in state["model"].items()
                if k.startswith(EXPLAINED_CLASSIFIER)}
    for key in ("model", "state_dict", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict (torch.save(model.state_dict(), ...)), got {type(state)}")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _head_classes(model: nn.Module, state: dict[str, torch.Tensor]) -> int | None:
    """The class count a state dict was trained with: the output size of the model's last Linear (or conv)."""
    heads = [name for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    weight = state.get(f"{heads[-1]}.weight") if heads else None
    return int(weight.shape[0]) if weight is not None else None


def build_classifier(spec: BackboneSpec, weights: str | None = None, num_classes: int | None = None) -> nn.Module:
    """The spec's classifier. `weights`: a local checkpoint (.pt/.pth; its class count wins), a torchvision weights
    enum name, or "pretrained" for the entry's own enum (the paper's ImageNet weights). Without weights, the model
    is randomly initialised with `num_classes` (default: the spec's)."""
    if weights == "pretrained":
        if not spec.pretrained_weights:
            raise ValueError(f"{spec.name} has no pretrained weights to download; train it with train-backbone")
        weights = spec.pretrained_weights
    if weights and not weights.endswith((".pt", ".pth")):
        return torchvision.models.get_model(spec.name, weights=weights)  # downloads where the network allows
    model = spec.build(num_classes or spec.num_classes)
    if weights:
        state = read_state_dict(weights)
        trained_with = _head_classes(model, state)
        if trained_with and trained_with != (num_classes or spec.num_classes):
            model = spec.build(trained_with)
        model.load_state_dict(state)
    return model


# ---- default feature layers ---------------------------------------------------------------------------

@torch.no_grad()
def _module_calls(model: nn.Module, input_size: int) -> list[ModuleCall]:
    """Every submodule call for one probe image, in the order the calls finish."""
    calls: list[ModuleCall] = []
    inputs: dict[str, torch.Tensor | None] = {}

    def before(name):
        return lambda _m, args: inputs.__setitem__(name, args[0] if args and isinstance(args[0], torch.Tensor) else None)

    def after(name):
        return lambda _m, _args, out: calls.append(ModuleCall(name, inputs.get(name), out))

    hooks = [h for name, m in model.named_modules() if name
             for h in (m.register_forward_pre_hook(before(name)), m.register_forward_hook(after(name)))]
    training = model.training
    try:
        model.eval()(torch.zeros(1, 3, input_size, input_size))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(training)
    return [call for call in calls if isinstance(call.output, torch.Tensor)]


def default_feature_layers(model: nn.Module, spec: BackboneSpec) -> tuple[str, ...]:
    """The family's default T-TAME layers of this classifier (`Family.default_layers`), found on a probe image."""
    return spec.family.default_layers(_module_calls(model, spec.input_size), dict(model.named_modules()))


def default_cam_layer(model: nn.Module, spec: BackboneSpec, feature_layers: tuple[str, ...]) -> str:
    return spec.cam_layer or spec.family.cam_layer(model, feature_layers[-1])


class FeatureBackbone(nn.Module):
    """Frozen classifier that returns (feature maps [B, C, H, W] of the T-TAME layers, logits) in one pass.

    Forward hooks on the named modules work for any architecture (FX tracing fails on torchvision's ViT) and
    are recorded by ONNX tracing like any other op; the family turns each layer's output into a map."""

    def __init__(self, classifier: nn.Module, family: Family, feature_layers: tuple[str, ...]):
        super().__init__()
        self.classifier = classifier
        self.family = family
        self._captured: list[torch.Tensor] = []
        for layer in feature_layers:
            classifier.get_submodule(layer).register_forward_hook(self._capture)

    def _capture(self, module, inputs, output):
        self._captured.append(output)

    def forward(self, x):
        self._captured = []
        logits = self.classifier(x)
        features, self._captured = self._captured, []
        return self.family.to_maps(features), logits

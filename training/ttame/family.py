"""What differs between backbone families, in one place: which layers T-TAME reads by default, how a feature
layer's output becomes a feature map, the CAM baselines' target layer, and in which order the training-time mask
meets standardisation (Eq. 13 / 14). Everything else is shared."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

Standardize = Callable[[torch.Tensor], torch.Tensor]
GLOBAL_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def enclosing_block(model: nn.Module, layer: str) -> str:
    """The block a feature layer belongs to: the layer itself or its nearest ancestor that is an element of a
    Sequential / ModuleList (`blocks.5.mlp` -> `blocks.5`, `layer3` -> `layer3`). The cascade randomises whole
    blocks (sanity.py), and a ViT's CAM layer is looked up in the block, wherever inside it T-TAME reads."""
    parts = layer.split(".")
    for end in range(len(parts), 0, -1):
        parent = model.get_submodule(".".join(parts[: end - 1])) if end > 1 else model
        if isinstance(parent, (nn.Sequential, nn.ModuleList)):
            return ".".join(parts[:end])
    return layer


@dataclass(frozen=True)
class ModuleCall:
    """One submodule call of a probe forward pass: its name, first input and output."""
    name: str
    input: torch.Tensor | None
    output: torch.Tensor


def _grid(tensor: torch.Tensor | None) -> tuple[int, int] | None:
    return tuple(tensor.shape[-2:]) if tensor is not None and tensor.dim() == 4 else None


@dataclass(frozen=True)
class Family:
    name: str
    channel_axis = 1  # of a feature layer's output

    def to_map(self, output: torch.Tensor) -> torch.Tensor:
        """One feature layer's output -> [B, C, H, W]."""
        raise NotImplementedError

    def mask(self, images: torch.Tensor, mask: torch.Tensor, standardize: Standardize,
             fill: torch.Tensor | None = None) -> torch.Tensor:
        """Raw [0,1] images x their upsampled masks [B, 1, H, W] -> the standardised model input; where the mask is
        low, `fill` (raw images, `fills.FILLS`) or, without one, the paper's black / mean colour."""
        raise NotImplementedError

    def default_layers(self, calls: Sequence[ModuleCall], modules: dict[str, nn.Module], count: int = 3) -> tuple[str, ...]:
        """The T-TAME feature layers when a spec names none."""
        raise NotImplementedError

    def cam_layer(self, model: nn.Module, last_feature_layer: str) -> str:
        """Where the CAM baselines read activations and gradients."""
        return last_feature_layer

    def to_maps(self, outputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [self.to_map(o) for o in outputs]


class CNN(Family):
    def to_map(self, output):
        return output

    def default_layers(self, calls, modules, count=3):
        """The last `count` stages: at each of the deepest spatial grids, the module that finishes last there (global
        pooling excluded); of modules returning that same tensor, the outermost (ResNet-50: layer2..4). Calls inside
        a block that starts at their grid and ends at another (a downsampling block's first conv), or that keeps one
        grid while they do not (ConvNeXt's channels-last MLP), are not stage ends."""
        grids = {c.name: (_grid(c.input), _grid(c.output)) for c in calls}

        def stage_end(call: ModuleCall) -> bool:
            grid = _grid(call.output)
            if grid is None or grid[0] * grid[1] <= 1 or isinstance(modules[call.name], GLOBAL_POOLS):
                return False
            parts = call.name.split(".")
            enclosing = [grids.get(".".join(parts[:i]), (None, None)) for i in range(1, len(parts))]
            return not any(out != grid and into in (grid, out) for into, out in enclosing)

        last_at = {_grid(c.output): order for order, c in enumerate(calls) if stage_end(c)}
        ends = [calls[i].output for i in sorted(last_at.values())[-count:]]
        return tuple(min((c.name for c in calls if c.output is end), key=lambda n: (n.count("."), n)) for end in ends)

    def mask(self, images, mask, standardize, fill=None):
        kept = mask * images  # Eq. 13: the image is masked, then standardised
        return standardize(kept if fill is None else kept + (1 - mask) * fill)


class ViT(Family):
    channel_axis = -1  # tokens [B, T, D]
    def default_layers(self, calls, modules, count=3):
        """The last `count` of the longest run of sibling blocks that map tokens to tokens of one shape."""
        shapes = {c.name: tuple(c.output.shape) for c in calls if c.output.dim() == 3}
        runs = []
        for name, module in modules.items():
            children = [f"{name}.{child}" if name else child for child, _ in module.named_children()]
            blocks = [c for c in children if c in shapes and shapes[c] == shapes.get(children[-1])]
            if len(blocks) >= count:
                runs.append(blocks)
        if not runs:
            raise ValueError(f"no run of {count} token blocks found; name the feature layers in a spec file")
        return tuple(max(runs, key=len)[-count:])

    def cam_layer(self, model, last_feature_layer):
        """The last block's first LayerNorm: the head reads only the class token, so the last block's patch tokens
        get no gradient (pytorch-grad-cam, the paper's baseline implementation, recommends this layer for ViTs)."""
        block = enclosing_block(model, last_feature_layer)
        norms = [n for n, m in model.get_submodule(block).named_modules() if isinstance(m, nn.LayerNorm)]
        return f"{block}.{norms[0]}" if norms else last_feature_layer

    def to_map(self, output):
        """Tokens [B, P + N, D] -> [B, D, sqrt(N), sqrt(N)]: the N patch tokens form a square grid, and the P
        leading ones (a class token, a distillation token) are dropped."""
        tokens = output.shape[1]
        side = math.isqrt(int(tokens))
        patches = output[:, tokens - side * side:, :]
        return patches.transpose(1, 2).reshape(output.shape[0], output.shape[2], side, side)

    def mask(self, images, mask, standardize, fill=None):
        kept = mask * standardize(images)  # Eq. 14: the standardised image is masked (black = the mean colour)
        return kept if fill is None else kept + (1 - mask) * standardize(fill)


FAMILIES: dict[str, Family] = {"cnn": CNN("cnn"), "vit": ViT("vit")}

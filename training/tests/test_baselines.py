"""Every explanation method against hand-computed maps on tiny models and 2x2 / 2x3 images, plus the CAM pipeline on
the real backbones' target layers."""
import math

import pytest
import torch
from torch import nn

from ttame.baselines import METHODS, RISE, GradCAM
from ttame.model import ExplainedClassifier

from tiny import FirstChannelBrightness, tiny

# Feature maps of the CAM tests: A_0 and A_1 are the image's first two channels.
A0 = torch.tensor([[1.0, 0.0], [2.0, 1.0]])  # sum 4
A1 = torch.tensor([[0.0, 1.0], [1.0, 3.0]])  # sum 5
# Class 0's logit is sum(V0 * A_0) + sum(V1 * A_1), so its gradient with respect to A_k is V_k.
V0 = torch.tensor([[2.0, 0.0], [0.0, 2.0]])  # mean 1
V1 = torch.tensor([[-3.0, -1.0], [1.0, -1.0]])  # mean -1
# logit_0 = (2 + 2) + (0 - 1 + 1 - 3) = 1


def head() -> torch.Tensor:
    return torch.stack([torch.stack([V0, V1]), torch.zeros(2, 2, 2)])  # class 1's logit is 0


class LinearOnFeatures(nn.Module):
    """CNN: features = a 1x1 conv copying channels 0 and 1 of the image; logits = a fixed linear map of them."""

    def __init__(self, num_classes: int = 2):
        super().__init__()
        self.features = nn.Conv2d(3, 2, 1, bias=False)
        self.features.weight.data = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])[:, :, None, None]
        self.register_buffer("head", head())

    def forward(self, x):
        return (self.features(x)[:, None] * self.head).sum((2, 3, 4))


class LinearOnTokens(nn.Module):
    """ViT: the same feature maps as `LinearOnFeatures`, as tokens [B, 1 + 4, 2] behind a class token of zeros."""

    def __init__(self, num_classes: int = 2):
        super().__init__()
        self.features = nn.Identity()
        self.register_buffer("head", head())

    def forward(self, x):
        patches = x[:, :2].flatten(2).transpose(1, 2)
        tokens = self.features(torch.cat([torch.zeros(len(x), 1, 2), patches], 1))
        maps = tokens[:, 1:].transpose(1, 2).reshape(len(x), 2, 2, 2)
        return (maps[:, None] * self.head).sum((2, 3, 4))


def image(*channels: torch.Tensor) -> torch.Tensor:
    """One image [1, 3, H, W] from up to three channels (the rest zero)."""
    out = torch.zeros(1, 3, *channels[0].shape)
    for i, c in enumerate(channels):
        out[0, i] = c
    return out


CLASS_0 = torch.tensor([0])
CAM_MODELS = {"cnn": LinearOnFeatures, "vit": LinearOnTokens}


@pytest.fixture(params=list(CAM_MODELS))
def cam_model(request):
    """The same feature maps A0, A1 and logits behind a CNN's layer or a ViT's tokens: the same CAMs."""
    return tiny(CAM_MODELS[request.param], request.param)


def explain(key: str, model: ExplainedClassifier) -> torch.Tensor:
    return METHODS[key]()(model, image(A0, A1), CLASS_0)[0]


def test_gradcam_weights_each_channel_by_its_mean_gradient(cam_model):
    # weights (mean V0, mean V1) = (1, -1): relu(A0 - A1) = relu([[1, -1], [1, -2]])
    assert torch.allclose(explain("gradcam", cam_model), torch.tensor([[1.0, 0.0], [1.0, 0.0]]))


def test_gradcampp_weights_positive_gradients_by_alpha(cam_model):
    # alpha = g^2 / (2 g^2 + sum(A) g^3): channel 0 at g = 2: 4 / (8 + 4 * 8) = 0.1, so w0 = 0.1 * 2 + 0.1 * 2 = 0.4;
    # channel 1 at its one positive g = 1: 1 / (2 + 5) -> w1 = 1/7. 0.4 A0 + A1 / 7 = [[14, 5], [33, 29]] / 35.
    assert torch.allclose(explain("gradcampp", cam_model), torch.tensor([[9 / 28, 0.0], [1.0, 6 / 7]]), atol=1e-6)


def test_hirescam_weights_each_position_by_its_gradient(cam_model):
    # V0 * A0 + V1 * A1 = [[2, 0], [0, 2]] + [[0, -1], [1, -3]] = [[2, -1], [1, -1]]
    assert torch.allclose(explain("hirescam", cam_model), torch.tensor([[1.0, 0.0], [0.5, 0.0]]))


def test_layercam_weights_each_position_by_its_positive_gradient(cam_model):
    # relu(V0) * A0 + relu(V1) * A1 = [[2, 0], [0, 2]] + [[0, 0], [1, 0]]
    assert torch.allclose(explain("layercam", cam_model), torch.tensor([[1.0, 0.0], [0.5, 1.0]]))


def test_scorecam_weights_are_the_softmax_of_the_masked_inputs_logits(cam_model):
    # masks min-max(A0) = [[.5, 0], [1, .5]] and min-max(A1) = [[0, 1/3], [1/3, 1]] multiply the input;
    # class 0's logit: channel 0: 2 * .5 + 2 * .5 + (1 * 1 - 1 * 1.5) = 1.5; channel 1: 2 * 1 + (-1/3 + 1/3 - 3) = -1
    w = torch.softmax(torch.tensor([1.5, -1.0]), 0)
    cam = w[0] * A0 + w[1] * A1
    assert torch.allclose(explain("scorecam", cam_model), (cam - cam.min()) / (cam.max() - cam.min()), atol=1e-6)


def test_ablationcam_weights_are_the_relative_drop_of_the_logit_without_the_channel(cam_model):
    # y = 1; without A0: y = sum(V1 * A1) = -3, w0 = (1 + 3) / 1 = 4; without A1: y = 4, w1 = (1 - 4) / 1 = -3.
    # relu(4 A0 - 3 A1) = relu([[4, -3], [5, -5]])
    assert torch.allclose(explain("ablationcam", cam_model), torch.tensor([[0.8, 0.0], [1.0, 0.0]]))


def test_ttame_gives_the_fused_map_of_the_target_class():
    model = tiny(LinearOnFeatures)
    branch = model.attention.branches[0]
    nn.init.zeros_(branch.conv.weight), nn.init.zeros_(branch.conv.bias)  # branch = relu(0 + A) = A (A >= 0)
    model.attention.fusion.weight.data[0] = torch.tensor([1.0, -1.0])[:, None, None]
    nn.init.zeros_(model.attention.fusion.bias)
    # A0 - A1 = [[1, -1], [1, -2]], min-max scaled: (x + 2) / 3
    assert torch.allclose(explain("ttame", model), torch.tensor([[1.0, 1 / 3], [1.0, 0.0]]), atol=1e-6)


class FixedMasks(RISE):
    def masks(self, size):
        return torch.tensor([[[1.0, 1, 1], [0, 0, 0]], [[1.0, 0, 0], [1, 0, 0]]])


def test_rise_weighs_its_masks_by_the_scores_of_the_masked_images():
    # P(class 0) of a white image under the masks: 3/6 and 2/6; 1/2 M1 + 1/3 M2 = [[5/6, 1/2, 1/2], [1/3, 0, 0]]
    maps = FixedMasks(masks=2)(tiny(FirstChannelBrightness), torch.ones(1, 3, 2, 3), CLASS_0)
    assert torch.allclose(maps[0], torch.tensor([[1.0, 0.6, 0.6], [0.4, 0.0, 0.0]]), atol=1e-6)


@pytest.mark.parametrize("size", [(4, 16), (16, 4)])
def test_rise_shifts_its_grids_by_up_to_a_cell_along_each_axis(size):
    # 2 x 2 cells, upsampled to 3 cells: bilinear interpolation is flat over the outer 3/4 cell, so without a shift
    # a mask's first two rows and first two columns are equal. Shifts of up to a whole cell (8 px along the long
    # axis) move cell borders into them in some masks; shifts along both axes stay inside the upsampled grid.
    masks = RISE(masks=100, cells=2).masks(size)
    assert masks.shape == (100, *size)
    assert (masks[:, 0] != masks[:, 1]).any()
    assert (masks[:, :, 0] != masks[:, :, 1]).any()


def test_centre_and_frame_floors_are_the_same_maps_for_every_image():
    # exp(-(y^2 + x^2) / 0.5) on y, x in {-1, 0, 1}: 1 at the centre, e^-2 at the edges, e^-4 at the corners
    edge = (math.exp(-2) - math.exp(-4)) / (1 - math.exp(-4))
    centre = torch.tensor([[0.0, edge, 0.0], [edge, 1.0, edge], [0.0, edge, 0.0]])
    images = torch.rand(2, 3, 3, 3)
    assert torch.allclose(METHODS["centre"]()(None, images, torch.tensor([0, 1])), centre.expand(2, 3, 3), atol=1e-6)
    assert torch.allclose(METHODS["frame"]()(None, images, torch.tensor([0, 1])), 1 - centre.expand(2, 3, 3), atol=1e-6)


def test_random_floor_draws_a_fresh_map_per_image():
    maps = METHODS["random"]()(None, torch.zeros(2, 3, 4, 4), torch.tensor([0, 0]))
    assert maps.shape == (2, 4, 4) and 0 <= maps.min() and maps.max() < 1
    assert not torch.equal(maps[0], maps[1])


@pytest.mark.parametrize("backbone", ["cifar_resnet", "cifar_vit"])
def test_cam_target_layer_receives_the_class_gradient(backbone):
    # A ViT's head reads the class token only, so the last block's patch tokens get no gradient and CAMs taken
    # there are constant; the spec points ViT CAMs at that block's LayerNorm, where the gradient does arrive.
    model = ExplainedClassifier(backbone, 10).eval()
    capture = GradCAM().capture(model, torch.rand(3, 3, 32, 32), torch.tensor([0, 3, 7]))
    acts, grads = capture.activations, capture.gradients
    assert acts.shape == grads.shape and acts.dim() == 4
    assert (grads.flatten(1).abs().sum(1) > 0).all()
    assert (grads.flatten(2).std(2).mean(1) > 0).all()  # varies over the spatial positions


@pytest.mark.parametrize("method", ["gradcam", "gradcampp", "hirescam", "layercam", "scorecam", "ablationcam"])
def test_cam_baselines_give_min_max_scaled_image_sized_maps_on_a_vit(method):
    model = ExplainedClassifier("cifar_vit", 10).eval()
    maps = METHODS[method]()(model, torch.rand(2, 3, 32, 32), torch.tensor([0, 3]))
    assert maps.shape == (2, 32, 32)
    assert maps.min() >= 0 and maps.max() <= 1


def test_cam_leaves_no_hook_behind():
    model = ExplainedClassifier("cifar_vit", 10).eval()
    layer = model.backbone.classifier.get_submodule(model.cam_layer)
    for key in ("gradcam", "ablationcam"):
        METHODS[key]()(model, torch.rand(2, 3, 32, 32), torch.tensor([1, 2]))
    assert not layer._forward_hooks

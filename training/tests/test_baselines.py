import pytest
import torch

from ttame.baselines import CAM, METHODS, RISE
from ttame.model import ExplainedClassifier


@pytest.mark.parametrize("backbone", ["cifar_resnet", "cifar_vit"])
def test_cam_target_layer_receives_the_class_gradient(backbone):
    # A ViT's head reads the class token only, so the last block's patch tokens get no gradient and CAMs taken
    # there are constant; the spec points ViT CAMs at that block's LayerNorm, where the gradient does arrive.
    model = ExplainedClassifier(backbone, 10).eval()
    acts, grads = CAM().activations(model, torch.rand(3, 3, 32, 32), torch.tensor([0, 3, 7]), need_grad=True)
    assert acts.shape == grads.shape and acts.dim() == 4
    assert (grads.flatten(1).abs().sum(1) > 0).all()
    assert (grads.flatten(2).std(2).mean(1) > 0).all()  # varies over the spatial positions


@pytest.mark.parametrize("method", ["gradcam", "gradcampp", "scorecam"])
def test_cam_baselines_give_min_max_scaled_image_sized_maps(method):
    model = ExplainedClassifier("cifar_vit", 10).eval()
    maps = METHODS[method]()(model, torch.rand(3, 3, 32, 32), torch.tensor([0, 3, 7]))
    assert maps.shape == (3, 32, 32)
    assert maps.min() >= 0 and maps.max() <= 1


def test_cam_leaves_no_hook_behind():
    model = ExplainedClassifier("cifar_vit", 10).eval()
    layer = model.backbone.classifier.get_submodule(model.cam_layer)
    METHODS["gradcam"]()(model, torch.rand(2, 3, 32, 32), torch.tensor([1, 2]))
    assert not layer._forward_hooks


@pytest.mark.parametrize("size", [(4, 16), (16, 4)])
def test_rise_shifts_its_grids_by_up_to_a_cell_along_each_axis(size):
    # 2 x 2 cells, upsampled to 3 cells: bilinear interpolation is flat over the outer 3/4 cell, so without a shift
    # a mask's first two rows and first two columns are equal. Shifts of up to a whole cell (8 px along the long
    # axis) move cell borders into them in some masks; shifts along both axes stay inside the upsampled grid.
    masks = RISE(masks=100, cells=2).masks(size)
    assert masks.shape == (100, *size)
    assert (masks[:, 0] != masks[:, 1]).any()
    assert (masks[:, :, 0] != masks[:, :, 1]).any()

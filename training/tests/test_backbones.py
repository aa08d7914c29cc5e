import pytest
import torch
import torchvision

from ttame.backbones import BACKBONES, build_classifier
from ttame.model import ExplainedClassifier
from ttame.train import attention_step_loss

# (backbone, adapted feature shapes (C, H, W), map size)
EXPECTED = {
    "cifar_resnet": ([(48, 16, 16), (96, 8, 8), (192, 4, 4)], (16, 16)),
    "cifar_resnet_wide": ([(64, 16, 16), (128, 8, 8), (192, 4, 4)], (16, 16)),
    "cifar_vit": ([(128, 8, 8)] * 3, (8, 8)),
    "vgg16": ([(256, 28, 28), (512, 14, 14), (512, 7, 7)], (28, 28)),
    "resnet50": ([(512, 28, 28), (1024, 14, 14), (2048, 7, 7)], (28, 28)),
    "vit_b_16": ([(768, 14, 14)] * 3, (14, 14)),
}


def test_every_registered_backbone_is_covered():
    assert set(EXPECTED) == set(BACKBONES)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_features_shapes_and_one_training_step_lowers_the_loss(name):
    shapes, map_size = EXPECTED[name]
    num_classes = 10
    model = ExplainedClassifier(name, num_classes)  # random init, nothing downloaded
    size = BACKBONES[name].input_size
    images = torch.rand(4, 3, size, size)
    with torch.no_grad():
        features, logits = model.backbone(model.standardize(images))
    branch = model.attention.branch_outputs(features)
    assert [tuple(b.shape[1:]) for b in branch] == shapes
    assert model.attention.map_size == map_size
    assert logits.shape == (4, num_classes)

    model.train()
    opt = torch.optim.SGD(model.attention.parameters(), lr=0.01, momentum=0.0)
    before = attention_step_loss(model, images)["loss"]
    opt.zero_grad()
    before.backward()
    opt.step()
    after = attention_step_loss(model, images)["loss"]
    assert after.item() < before.item()
    assert all(p.grad is None for p in model.backbone.parameters())  # the backbone stays frozen


def test_pretrained_names_a_real_torchvision_enum_or_refuses():
    for name, spec in BACKBONES.items():
        if spec.pretrained_weights:  # resolvable without downloading anything
            assert torchvision.models.get_weight(spec.pretrained_weights) is not None
        else:
            with pytest.raises(ValueError, match="no pretrained weights"):
                build_classifier(name, 10, "pretrained")

"""IV-F3 sanity checks on the committed, trained checkpoints (the check is meaningless on random weights)."""
import pytest
import torch
import torchvision

from ttame.data import DEFAULT_DATA_DIR, load_split, to_float
from ttame.model import load_explained
from ttame.backbones import resolve_backbone
from ttame.family import enclosing_block
from ttame.sanity import rank_correlation, sanity_checks

from conftest import REPO

CHECKPOINTS = REPO / "training" / "checkpoints"
needs_test_split = pytest.mark.skipif(not (DEFAULT_DATA_DIR / "test.tar.gz").exists(),
                                      reason="CIFAR-10 test split not found")


def trained(name: str):
    path = CHECKPOINTS / f"{name}.pt"
    if not path.exists():
        pytest.skip(f"no trained checkpoint at {path}")
    return load_explained(path)


def test_rank_correlation_of_identical_and_reversed_maps():
    a = torch.rand(2, 4, 4)
    assert torch.allclose(rank_correlation(a, a), torch.ones(2))
    assert torch.allclose(rank_correlation(a, -a), -torch.ones(2))


@needs_test_split
def test_randomising_attention_or_top_backbone_layer_changes_the_trained_cnn_maps():
    result = sanity_checks(trained("cifar10-cnn"), to_float(load_split("test").images[:64]))
    assert list(result) == ["attention", "backbone:layer3", "backbone:layer3+layer2", "backbone:layer3+layer2+layer1",
                            "backbone:all"]
    assert result["attention"] < 0.3
    assert result["backbone:layer3"] < 0.5
    assert result["backbone:layer3+layer2"] < 0.3
    assert result["backbone:layer3+layer2+layer1"] < 0.3
    assert result["backbone:all"] < 0.3


@needs_test_split
def test_randomising_attention_top_block_or_whole_backbone_changes_the_trained_vit_maps():
    # The attention reads the last block's attention and MLP outputs, before the residual add: block outputs
    # carry the earlier blocks' tokens through the residual stream, and maps read there barely moved when the
    # top blocks were randomised (0.99 for block 5 in 1.0.0; docs/results.md).
    result = sanity_checks(trained("cifar10-vit"), to_float(load_split("test").images[:64]))
    assert list(result) == ["attention", "backbone:blocks.5", "backbone:all"]
    assert result["attention"] < 0.3
    assert result["backbone:blocks.5"] < 0.3
    assert result["backbone:all"] < 0.3


def test_the_cascade_randomises_the_block_that_holds_each_feature_layer():
    vit = resolve_backbone("cifar_vit").build(10)
    assert enclosing_block(vit, "blocks.5.mlp") == "blocks.5"  # read before the residual add: its whole block
    assert enclosing_block(vit, "blocks.5") == "blocks.5"
    assert enclosing_block(resolve_backbone("cifar_resnet").build(10), "layer3") == "layer3"
    assert enclosing_block(torchvision.models.vgg11(), "features.20") == "features.20"

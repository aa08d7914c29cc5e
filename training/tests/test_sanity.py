"""IV-F3 sanity checks on the committed, trained CNN checkpoint (the check is meaningless on random weights)."""
import pytest
import torch

from ttame.data import DEFAULT_DATA_DIR, load_split, to_float
from ttame.model import load_explained
from ttame.sanity import rank_correlation, sanity_checks

from conftest import REPO

CHECKPOINT = REPO / "training" / "checkpoints" / "cifar10-cnn.pt"


def test_rank_correlation_of_identical_and_reversed_maps():
    a = torch.rand(2, 4, 4)
    assert torch.allclose(rank_correlation(a, a), torch.ones(2))
    assert torch.allclose(rank_correlation(a, -a), -torch.ones(2))


@pytest.mark.skipif(not CHECKPOINT.exists(), reason=f"no trained checkpoint at {CHECKPOINT}")
@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "test.tar.gz").exists(), reason="CIFAR-10 test split not found")
def test_randomising_attention_or_top_backbone_layer_changes_the_trained_maps():
    model = load_explained(CHECKPOINT)
    images = to_float(load_split("test").images[:64])
    result = sanity_checks(model, images)
    assert list(result) == ["attention", "backbone:layer3", "backbone:layer3+layer2", "backbone:layer3+layer2+layer1"]
    assert result["attention"] < 0.3
    assert result["backbone:layer3"] < 0.5
    assert result["backbone:layer3+layer2"] < 0.3
    assert result["backbone:layer3+layer2+layer1"] < 0.3

"""The explanation measures against values worked out by hand on tiny models: AD/IC, the ROAD imputer, ROAD, and the
map correlations of the per-class breakdown."""
import numpy as np
import pytest
import torch

from ttame.metrics import (METRICS, ROAD, ROAD_LEVELS, average_drop_increase, correlation_with, impute, map_correlation,
                           measure, road_by_level)

from tiny import FirstChannelBrightness, TopLeftPixel, tiny

MAP = torch.tensor([[1.0, 0.5], [0.25, 0.0]])


@pytest.mark.parametrize("level, drop", [(100, 56.25), (50, 62.5), (15, 75.0)])
def test_average_drop_and_increase_in_confidence(level, drop):
    # P(class 0) = mean of channel 0 = 0.8 on the clean images. Masked by the map's top v% (v = 100: all of it,
    # 0.8 * 1.75 / 4 = 0.35; v = 50: two pixels, 0.8 * 1.5 / 4 = 0.3; v = 15: ceil(0.6) = one pixel, 0.8 / 4 = 0.2):
    # class 0 drops by (0.8 - p) / 0.8, class 1 (clean 0.2) rises to 1 - p: no drop, an increase.
    images = torch.full((2, 3, 2, 2), 0.8)
    ad, ic = average_drop_increase(tiny(FirstChannelBrightness), images, torch.tensor([0, 1]), MAP.expand(2, 2, 2), level)
    assert torch.allclose(ad, torch.tensor([drop, 0.0]))
    assert torch.equal(ic, torch.tensor([0.0, 100.0]))


def test_imputation_is_the_weighted_mean_of_the_eight_neighbours():
    # direct neighbours 1, 2, 3, 4 weigh 1/6, diagonal ones 5, 6, 7, 8 weigh 1/12: 10/6 + 26/12 = 23/6
    image = np.array([[5.0, 1, 6], [2, 0, 3], [7, 4, 8]])[None].repeat(3, 0)
    removed = np.zeros((3, 3), dtype=bool)
    removed[1, 1] = True
    out = impute(image, removed, np.random.default_rng(0), noise=0)
    assert out[:, 1, 1] == pytest.approx([23 / 6] * 3)
    assert np.array_equal(np.delete(out.reshape(3, -1), 4, 1), np.delete(image.reshape(3, -1), 4, 1))


def test_imputation_solves_for_removed_pixels_together():
    # a row [0, x, y, 3]: 2x = 0 + y and 2y = x + 3 -> x = 1, y = 2; an edge pixel copies its one neighbour
    row = np.array([[0.0, 9, 9, 3]])[None].repeat(3, 0)
    out = impute(row, np.array([[False, True, True, False]]), np.random.default_rng(0), noise=0)
    assert out[0, 0] == pytest.approx([0, 1, 2, 3])
    edge = impute(np.array([[[9.0, 1, 2]]]).repeat(3, 0), np.array([[True, False, False]]), np.random.default_rng(0), noise=0)
    assert edge[0, 0, 0] == pytest.approx(1)


def test_road_removes_the_evidence_first_for_morf_and_last_for_lerf():
    # P(class 0) = 1/4 + 1/2 x the top-left pixel, which is 1 on a black 2x5 image and ranked first by the map.
    # MoRF removes it at every level (10..90 % = 1..9 pixels), imputed from black -> 0 + noise(0.01): 25 %.
    # LeRF removes 1..9 of the other pixels and never it: 75 %.
    model = tiny(TopLeftPixel)
    image = torch.zeros(1, 3, 2, 5)
    image[0, 0, 0, 0] = 1
    relevance = torch.linspace(1, 0.1, 10).view(1, 2, 5)
    target = torch.tensor([0])
    morf = road_by_level(model, image, target, relevance, most_relevant_first=True)
    lerf = road_by_level(model, image, target, relevance, most_relevant_first=False)
    assert morf.shape == lerf.shape == (len(ROAD_LEVELS), 1)
    assert morf.mean().item() == pytest.approx(25, abs=0.5) and torch.allclose(morf, torch.full_like(morf, 25), atol=1.5)
    assert lerf.mean().item() == pytest.approx(75, abs=1e-4)


def test_measure_gives_every_metric_per_image():
    images = torch.rand(3, 3, 4, 4)
    values = measure(tiny(FirstChannelBrightness), images, torch.tensor([0, 1, 0]), torch.rand(3, 4, 4))
    assert [k for k in values if k in METRICS] == list(METRICS)
    assert all(values[m].shape == (3,) for m in METRICS)
    for kind in ROAD:  # the curve behind each ROAD measure, one value per level and image
        assert values[f"{kind} by level"].shape == (len(ROAD_LEVELS), 3)
        assert torch.allclose(values[f"{kind} by level"].mean(0), values[kind])


def test_map_correlations():
    a, b = torch.rand(4, 4), torch.rand(4, 4)
    assert map_correlation(torch.stack([a, a, a])) == pytest.approx(1)
    assert map_correlation(torch.stack([a, -a])) == pytest.approx(-1)
    assert map_correlation(torch.stack([a, torch.ones(4, 4)])) == 0  # a constant map correlates with nothing
    assert correlation_with(torch.stack([a, -a, b]), a) == pytest.approx(correlation_with(b[None], a) / 3)

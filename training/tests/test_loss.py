import math

import numpy as np
import pytest
import torch

from ttame.family import FAMILIES
from ttame.fills import FILLS, imputed, named_fill
from ttame.metrics import impute
from ttame.loss import (LEVEL_SHARPNESS, LossWeights, Masking, area, at_random_level, mask_images, select_maps,
                        smoothness, ttame_loss, without_random_top)
from ttame.model import Standardize


def test_area_is_the_mean_of_the_l4_power():
    psi = torch.tensor([[[[0.0, 1.0], [0.25, 0.5]]]])
    expected = (0 + 1 + 0.25 ** 0.3 + 0.5 ** 0.3) / 4
    assert math.isclose(area(psi, 0.3).item(), expected, rel_tol=1e-5)


def test_smoothness_is_squared_variation_over_2s():
    psi = torch.tensor([[[[0.0, 1.0], [0.5, 0.5]]]])
    # vertical differences: (0.5-0)^2 + (0.5-1)^2 = 0.5; horizontal: (1-0)^2 + (0.5-0.5)^2 = 1; S = 4 values
    assert math.isclose(smoothness(psi).item(), 1.5 / 8, rel_tol=1e-6)


def test_loss_combines_the_terms_with_the_paper_weights():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    predicted = torch.tensor([0, 1])
    psi = torch.tensor([[[[0.0, 1.0], [0.5, 0.5]]]]).expand(2, 2, 2, 2)
    terms = ttame_loss(logits, predicted, psi)
    ce = (-torch.log_softmax(logits, 1)[[0, 1], [0, 1]]).mean()
    e = (1 + 2 * 0.5 ** 0.3) / 4
    v = 1.5 / 8
    assert math.isclose(terms["loss"].item(), 1.5 * ce.item() + 2 * (e + 0.005 * v), rel_tol=1e-5)
    assert LossWeights() == LossWeights(l1=1.5, l2=2, l3=0.005, l4=0.3)


def test_mask_selection_takes_each_images_maps_for_every_class_predicted_in_the_batch():
    maps = torch.arange(3 * 5).float().view(3, 5, 1, 1).expand(3, 5, 2, 2)
    predicted = torch.tensor([4, 0, 2])
    psi = select_maps(maps, predicted)
    assert psi.shape == (3, 3, 2, 2)
    for i in range(3):
        for j in range(3):
            assert torch.equal(psi[i, j], maps[i, predicted[j]])
        assert torch.equal(psi[i, i], maps[i, predicted[i]])  # own class on the diagonal


def test_masking_order_depends_on_the_family():
    standardize = Standardize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    image = torch.full((1, 3, 2, 2), 0.75)
    own = torch.full((1, 2, 2), 0.5)
    cnn = mask_images(image, own, FAMILIES["cnn"], standardize)  # standardize(E * I) = (0.375 - 0.5) / 0.25
    vit = mask_images(image, own, FAMILIES["vit"], standardize)  # E * standardize(I) = 0.5 * (0.75 - 0.5) / 0.25
    assert torch.allclose(cnn, torch.full_like(cnn, -0.5))
    assert torch.allclose(vit, torch.full_like(vit, 0.5))


def test_a_fill_takes_the_place_of_black_where_the_map_is_low():
    # image 0.75 everywhere, its own mean colour 0.75: at E = 0.5 the CNN sees standardize(0.5 I + 0.5 I) = 1 and the
    # ViT 0.5 standardize(I) + 0.5 standardize(I) = 1, where black gives -0.5 and 0.5 (the test above)
    standardize = Standardize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    image = torch.full((1, 3, 2, 2), 0.75)
    own = torch.full((1, 2, 2), 0.5)
    for family in FAMILIES.values():
        masked = mask_images(image, own, family, standardize, fill="mean")
        assert torch.allclose(masked, torch.ones_like(masked))


def test_fills():
    images = torch.rand(4, 3, 8, 6)
    masks = torch.rand(4, 1, 8, 6)
    flat = torch.full((2, 3, 8, 6), 0.3)
    assert torch.allclose(FILLS["mean"](images, masks), images.mean((2, 3), keepdim=True).expand_as(images))
    assert torch.allclose(FILLS["blur"](flat, masks[:2]), flat)  # a blur keeps a flat image (and its size)
    assert FILLS["blur"](images, masks).std() < images.std() / 2  # and flattens noise
    torch.manual_seed(0)
    mixed = FILLS["mixed"](torch.rand(64, 3, 8, 6), torch.rand(64, 1, 8, 6))
    kinds = {"black": (mixed == 0).flatten(1).all(1), "flat": mixed.flatten(2).std(2).amax(1) == 0}
    assert kinds["black"].any() and (kinds["flat"] & ~kinds["black"]).any() and (~kinds["flat"]).any()
    halves = FILLS["black-or-mean"](torch.rand(64, 3, 8, 6), torch.rand(64, 1, 8, 6))
    flat = halves.flatten(2).std(2).amax(1) == 0
    black = (halves == 0).flatten(1).all(1)
    assert flat.all() and black.any() and not black.all()


def test_the_imputing_fill_interpolates_the_kept_pixels_as_road_does():
    y, x = torch.meshgrid(torch.arange(32) / 32, torch.arange(24) / 24, indexing="ij")
    ramp = torch.stack([x, y, (x + y) / 2])[None]
    masks = torch.ones(1, 1, 32, 24)
    masks[..., 8:24, 6:18] = 0  # a 16x12 hole in the middle
    hole = masks[0, 0] == 0
    fill = imputed(ramp, masks, noise=0)
    road = torch.from_numpy(impute(ramp[0].double().numpy(), hole.numpy(), np.random.default_rng(0), noise=0))
    assert torch.allclose(road.float()[:, hole], ramp[0][:, hole], atol=1e-6)  # a ramp is ROAD's exact answer
    assert (fill[0][:, hole] - ramp[0][:, hole]).abs().mean() < 0.03  # pull-push comes within 3 % of it
    assert (fill[0][:, hole] - fill[0][:, hole].mean((1,), keepdim=True)).abs().mean() > 0.1  # not one flat colour
    # what a hole's shape could tell: nothing, on a flat image every mask gives the same fill (plus ROAD's noise)
    flat = torch.full((3, 3, 32, 24), 0.3)
    soft = torch.rand(3, 1, 32, 24)
    assert torch.allclose(imputed(flat, soft, noise=0), flat, atol=1e-5)
    assert 0.005 < (imputed(flat, soft) - flat).std() < 0.015
    either = FILLS["black-or-impute"](torch.rand(64, 3, 8, 6), torch.rand(64, 1, 8, 6))
    black = (either == 0).flatten(1).all(1)
    assert black.any() and not black.all()


def test_a_weighted_mix_of_fills_draws_each_in_proportion():
    torch.manual_seed(0)
    mix = named_fill("impute:3,black:1")
    drawn = mix(torch.rand(2000, 3, 8, 6) * 0.5 + 0.25, torch.rand(2000, 1, 8, 6))
    black = (drawn == 0).flatten(1).all(1).float().mean()
    assert 0.21 < black < 0.29  # a quarter, within sampling error (sd ~0.01)
    assert named_fill("black-or-mean") is FILLS["black-or-mean"] and named_fill("black") is None
    for wrong in ("purple", "impute:0,black:1", "impute:x", "impute,black", ""):
        with pytest.raises(ValueError, match="a mix like"):
            named_fill(wrong)


def test_random_levels_keep_each_maps_top_fraction_whatever_its_scale():
    logits = torch.linspace(-10, 30, 100).reshape(1, 10, 10).repeat(500, 1, 1)
    torch.manual_seed(0)
    cut = at_random_level(logits, 0.9)
    kept = (cut > 0.5).float().mean((1, 2))
    assert kept.min() >= 0.1 - 0.01 and kept.max() <= 1  # at most 90 % cut away, each image at its own level
    assert 0.4 < kept.mean() < 0.6  # U(0, 0.9) quantiles: 55 % kept on average
    assert torch.equal(cut > 0.5, logits > torch.quantile(logits[0], 1 - kept)[:, None, None])  # the top of the order
    torch.manual_seed(0)
    assert torch.allclose(at_random_level(logits * 50 + 7, 0.9), cut, atol=1e-5)  # scale and shift change nothing
    source = logits.clone().requires_grad_()
    torch.manual_seed(0)
    at_random_level(source, 0.9).sum().backward()
    # the gradient moves values against each other, never the whole map (which would only keep more of the image)
    assert torch.allclose(source.grad.sum((1, 2)), torch.zeros(500), atol=1e-3)  # shift
    assert torch.allclose((source.grad * logits).sum((1, 2)), torch.zeros(500), atol=1e-2)  # scale
    assert source.grad.abs().sum() > 1


def test_levels_from_a_quantile_keep_only_the_top_of_each_map():
    logits = torch.linspace(-10, 30, 100).reshape(1, 10, 10).repeat(500, 1, 1)
    torch.manual_seed(0)
    kept = (at_random_level(logits, 0.9, 0.5) > 0.5).float().mean((1, 2))
    assert kept.min() >= 0.1 - 0.01 and kept.max() <= 0.5 + 0.01  # cut between the 50 % and the 90 % quantile
    assert 0.25 < kept.mean() < 0.35  # U(0.5, 0.9) quantiles: 30 % kept on average


def test_a_sharper_level_cuts_the_same_top_fraction_with_a_narrower_soft_edge():
    logits = torch.linspace(-10, 30, 100).reshape(1, 10, 10).repeat(500, 1, 1)
    torch.manual_seed(0)
    soft = at_random_level(logits, 0.9)
    torch.manual_seed(0)
    sharp = at_random_level(logits, 0.9, sharpness=4 * LEVEL_SHARPNESS)
    assert torch.equal(sharp > 0.5, soft > 0.5)  # the same level on the same draw
    on_the_edge = lambda mask: ((mask > 0.1) & (mask < 0.9)).float().mean()  # noqa: E731
    assert on_the_edge(sharp) < on_the_edge(soft) / 3
    torch.manual_seed(1)
    soft_removal = without_random_top(logits)
    torch.manual_seed(1)
    sharp_removal = without_random_top(logits, 4 * LEVEL_SHARPNESS)  # the removal pass cuts as sharply
    assert torch.equal(sharp_removal < 0.5, soft_removal < 0.5)
    assert on_the_edge(sharp_removal) < on_the_edge(soft_removal) / 3


def test_the_removal_mask_takes_a_random_top_10_to_90_percent_of_each_map_whatever_its_scale():
    logits = torch.linspace(-10, 30, 100).reshape(1, 10, 10).repeat(500, 1, 1)
    torch.manual_seed(0)
    mask = without_random_top(logits)
    removed = (mask < 0.5).float().mean((1, 2))
    assert removed.min() >= 0.1 - 0.01 and removed.max() <= 0.9 + 0.01  # ROAD's range
    assert 0.45 < removed.mean() < 0.55
    order = logits.flatten(1).argsort(1, descending=True)
    assert (mask.flatten(1).gather(1, order).diff(dim=1) >= 0).all()  # the top of the order goes first
    torch.manual_seed(0)
    assert torch.allclose(without_random_top(logits * 50 + 7), mask, atol=1e-5)
    at_03 = (at_random_level(logits, 0.3, 0.3) >= 0.5).float().mean((1, 2))
    assert torch.allclose(at_03, torch.full((500,), 0.7))  # one quantile: every map keeps its top 70 %


def test_the_removal_pass_can_be_held_to_the_top_of_the_maps():
    logits = torch.linspace(-10, 30, 100).reshape(1, 10, 10).repeat(500, 1, 1)
    torch.manual_seed(0)
    removed = (without_random_top(logits, most=0.5) < 0.5).float().mean((1, 2))
    assert removed.min() >= 0.1 - 0.01 and removed.max() <= 0.5 + 0.01
    assert 0.25 < removed.mean() < 0.35  # U(0.1, 0.5)
    assert Masking().removes_up_to == 0.9  # ROAD's range unless asked
    with pytest.raises(ValueError, match="removal pass"):
        Masking(removes_up_to=0.1)  # nothing left to draw


def removal_case():
    """Two images whose removal pass leaves p = 1/3 and 4/6 of their classes, with the paper's terms' inputs."""
    predicted = torch.tensor([0, 2])
    masked = torch.zeros(2, 3)
    removed = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 2 * math.log(2)]])
    psi = torch.full((2, 2, 4, 4), 0.5)
    return predicted, masked, removed, psi, ttame_loss(masked, predicted, psi)


def test_the_removal_term_is_the_class_probability_left_at_its_weight_and_off_by_default():
    predicted, masked, removed, psi, paper = removal_case()
    assert LossWeights().removal == 0  # the paper's loss
    with_removal = ttame_loss(masked, predicted, psi, LossWeights(removal=1.5), removed_logits=removed)
    assert with_removal["p_removed"].item() == pytest.approx((1 / 3 + 4 / 6) / 2)
    assert with_removal["loss"].item() == pytest.approx(paper["loss"].item() + 1.5 * 0.5)


def test_the_removal_cross_entropy_is_minus_log_of_one_minus_p_and_keeps_its_gradient_where_p_is_near_1():
    predicted, masked, removed, psi, paper = removal_case()
    assert LossWeights().removal_ce == 0 and not LossWeights().removes
    with_ce = ttame_loss(masked, predicted, psi, LossWeights(removal_ce=2.0), removed_logits=removed)
    expected = -(math.log(2 / 3) + math.log(2 / 6)) / 2
    assert with_ce["ce_removed"].item() == pytest.approx(expected)
    assert with_ce["loss"].item() == pytest.approx(paper["loss"].item() + 2.0 * expected)

    # a removal that leaves the classifier sure of its class: p = 1 - 1e-6, where 1 - p in float32 is off by 5 %
    confident = torch.tensor([[math.log(2e6 - 2), 0.0, 0.0]], requires_grad=True)
    one = torch.tensor([0])
    ce = ttame_loss(masked[:1], one, psi[:1], LossWeights(removal_ce=1.0), removed_logits=confident)["ce_removed"]
    assert ce.item() == pytest.approx(-math.log(1e-6), rel=1e-3)  # finite and exact
    ce_grad, = torch.autograd.grad(ce, confident)
    p = ttame_loss(masked[:1], one, psi[:1], LossWeights(removal=1.0), removed_logits=confident)["p_removed"]
    p_grad, = torch.autograd.grad(p, confident)
    assert ce_grad[0, 0].item() == pytest.approx(1.0, rel=1e-3)  # d/dz_y -log(1 - p) = p
    assert p_grad[0, 0].item() < 1e-5  # p's own gradient, p(1 - p), has all but vanished there


def test_a_checkpoint_record_gives_back_its_masking_and_older_records_the_paper_defaults():
    record = {"fill": "impute:3,black:1", "levels": 0.9, "levels_from": 0.5, "level_sharpness": 8.0, "lr": 0.025,
              "epoch": 2}
    assert Masking.from_record(record) == Masking("impute:3,black:1", levels=0.9, levels_from=0.5, level_sharpness=8.0)
    assert Masking.from_record({"fill": "impute", "levels": 0.9}) == Masking("impute", levels=0.9)  # before levels_from
    assert Masking.from_record({"fill": "impute", "epoch": 1}) == Masking("impute")  # before levels were recorded
    assert Masking.from_record({}) == Masking("black", 0.0, 0.0, LEVEL_SHARPNESS)  # the paper's
    assert Masking.from_record({"removes_up_to": 0.5}).removes_up_to == 0.5


@pytest.mark.parametrize("levels, levels_from", [(0.5, 0.5), (0.5, 0.6), (1.0, 0.5), (0.0, 0.3), (0.9, -0.1)])
def test_the_levels_pass_needs_a_range_of_quantiles_inside_the_map(levels, levels_from):
    with pytest.raises(ValueError, match="need 0 <= from < levels < 1"):
        Masking(levels=levels, levels_from=levels_from)

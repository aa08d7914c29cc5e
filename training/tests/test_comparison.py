"""Paired bootstrap intervals, the verdicts they allow, the per-class breakdown and their report, on made-up
per-image values whose answers are known."""
import numpy as np
import pytest

from ttame.comparison import (Difference, class_breakdown, compare_results, paired_differences, per_image, standing,
                              with_baselines)
from ttame.metrics import METRICS
from ttame.report import section


def row(name: str, values: dict[str, list[float]], **extra) -> dict:
    """A results row: `values` per metric, 0 for the metrics not given."""
    n = len(next(iter(values.values())))
    per = {m: list(values.get(m, [0.0] * n)) for m in METRICS}
    return {"name": name, "images": n, "forwardPasses": 1, "backwardPasses": 0, "msPerExplanation": 1.0,
            **{m: float(np.mean(v)) for m, v in per.items()}, "perImage": per, **extra}


def test_a_constant_paired_difference_has_a_zero_width_interval_and_a_direction():
    ours = per_image(row("a", {"AD15": [10, 20, 30, 40], "LeRF": [50, 50, 50, 50], "MoRF": [1, 2, 3, 4]}))
    theirs = per_image(row("b", {"AD15": [12, 22, 32, 42], "LeRF": [40, 40, 40, 40], "MoRF": [1, 2, 3, 4]}))
    by = {d.metric: d for d in paired_differences(ours, theirs)}
    assert (by["AD15"].mean, by["AD15"].low, by["AD15"].high) == pytest.approx((-2, -2, -2))
    assert by["AD15"].verdict == "better"  # lower is better for AD
    assert by["LeRF"].verdict == "better"  # higher is better for LeRF
    assert by["MoRF"].verdict == "no difference"


def test_noise_around_no_difference_gives_an_interval_that_holds_zero():
    noise = np.random.default_rng(1).normal(0, 5, 400)
    ours = per_image(row("a", {"MoRF": list(30 + noise - noise.mean())}))  # paired differences of mean 0, sd ~5
    theirs = per_image(row("b", {"MoRF": [30.0] * 400}))
    d = {d.metric: d for d in paired_differences(ours, theirs)}["MoRF"]
    assert d.low < 0 < d.high and d.verdict == "no difference"
    assert d.high - d.low == pytest.approx(2 * 1.96 * noise.std() / 20, rel=0.1)  # the normal approximation's


def test_a_method_on_fewer_images_is_compared_on_the_first_ones():
    ours = per_image(row("a", {"MoRF": [1, 1, 9, 9]}))
    d = {d.metric: d for d in paired_differences(ours, per_image(row("b", {"MoRF": [3, 3]})))}["MoRF"]
    assert d.mean == -2 and d.verdict == "better"


def test_standing_on_a_group_of_measures():
    def diff(metric, low, high):
        return Difference(metric, (low + high) / 2, low, high)
    assert standing([diff("AD15", -3, -1), diff("IC15", -1, 1)]) == "better"
    assert standing([diff("AD15", -3, -1), diff("IC15", -3, -1)]) == "mixed"  # IC lower = worse
    assert standing([diff("MoRF", 1, 2)]) == "worse"
    assert standing([diff("MoRF", -1, 2), diff("LeRF", -1, 1)]) == "no difference"


def results() -> dict:
    """Two classes of 30 images: T-TAME beats Grad-CAM on AD15 everywhere, and the frame map beats T-TAME on AD15
    in class 1, where T-TAME's maps are all alike and frame-like."""
    ttame_ad = [20.0 + i % 3 for i in range(30)] + [60.0 + i % 3 for i in range(30)]
    frame_ad = [90.0] * 30 + [40.0] * 30
    return {"backbone": "tiny", "family": "cnn", "images": 60, "commands": ["ttame evaluate"], "labels": ["cat", "dog"],
            "targets": [0] * 30 + [1] * 30, "methods": {
                "ttame": row("T-TAME", {"AD15": ttame_ad}, mapCorrelation={"0": 0.3, "1": 0.9},
                             centreCorrelation={"0": 0.6, "1": -0.4}),
                "gradcam": row("Grad-CAM", {"AD15": [a + 5 for a in ttame_ad]}, mapCorrelation={"0": 0.5, "1": 0.4}),
                "frame": row("Frame", {"AD15": frame_ad}, mapCorrelation={"0": 1.0, "1": 1.0})}}


def test_class_breakdown_flags_image_independent_maps_and_classes_a_floor_beats():
    rows = {r.class_id: r for r in class_breakdown(results())}
    assert rows[0].beaten_by == {"frame": []} and not rows[0].image_independent and not rows[0].frame_like
    assert rows[1].beaten_by == {"frame": ["AD15"]} and rows[1].image_independent and rows[1].frame_like
    assert rows[1].means["AD15"] == pytest.approx(61)
    # the frame (40) beats Grad-CAM (65-67) there too, and in class 0 beats nothing to compare
    assert rows[1].others == ["gradcam"] and rows[1].also_beats == {"frame": {"AD15": ["gradcam"]}}
    assert rows[0].also_beats == {"frame": {}}


def test_the_report_says_whether_a_floor_beats_every_method_in_a_class_or_t_tame_alone():
    data = results()
    assert "| Frame: AD15 (and every other method) |" in section(data)
    data["methods"]["gradcam"]["perImage"]["AD15"][30:] = [30.0] * 30  # now Grad-CAM beats the frame in class 1
    assert "| Frame: AD15 (no other method) |" in section(data)


def test_the_report_says_per_measure_which_other_methods_a_floor_beats_where_they_differ():
    data = results()
    data["methods"]["frame"]["perImage"]["IC15"][30:] = [100.0] * 30  # beats T-TAME's 0 in class 1 ...
    data["methods"]["gradcam"]["perImage"]["IC15"][30:] = [100.0] * 30  # ... but not Grad-CAM
    assert "| Frame: AD15, IC15 (AD15: and every other method; IC15: no other method) |" in section(data)


def test_the_report_says_better_or_worse_only_where_the_interval_does():
    text = section(results())
    gradcam = next(line for line in text.splitlines() if line.startswith("| Grad-CAM |") and "[" in line)
    assert "−5.0 [−5.0, −5.0] ✓" in gradcam and gradcam.count("=") == len(METRICS) - 1
    assert "| better | no difference |" in gradcam  # AD/IC, ROAD
    dog = next(line for line in text.splitlines() if line.startswith("| dog |"))
    assert "Frame: AD15" in dog and "image-independent maps, frame-like maps, beaten by a floor" in dog
    assert "| −0.400 |" in dog


def test_the_report_gives_the_road_curves_of_the_methods_that_have_them():
    data = results()
    assert "ROAD by the share" not in section(data)  # results older than the curves
    data["methods"]["ttame"]["roadByLevel"] = {"MoRF": [60.0 - 5 * i for i in range(9)], "LeRF": [80.0] * 9}
    text = section(data)
    assert "| method | order | 10 % | 20 % |" in text
    assert "| T-TAME | MoRF | 60.0 | 55.0 | 50.0 |" in text and "| T-TAME | LeRF | 80.0 |" in text
    assert "| Grad-CAM | MoRF |" not in text


def test_the_heading_says_how_the_attention_was_trained_where_it_departs_from_the_paper():
    data = results() | {"attention": {"fill": "black", "epochs": 2, "lr": 0.1, "featureLayers": ["layer3"],
                                      "lossWeights": {"l1": 1.5, "l2": 2.0, "l3": 0.005, "l4": 0.3}}}
    assert "trained with black fill for 2 epochs at max LR 0.1\n" in section(data)  # results older than levels
    data["attention"] |= {"levels": 0.0, "levelsFrom": 0.0, "seed": 0}
    assert "trained with black fill for 2 epochs at max LR 0.1\n" in section(data)
    assert "for 2 epochs at max LR 0.1, seed 2\n" in section(data | {"attention": data["attention"] | {"seed": 2}})
    data["attention"] |= {"levels": 0.9, "lossWeights": {"l1": 1.5, "l2": 1.0, "l3": 0.005, "l4": 0.5}}
    assert ("trained with black fill for 2 epochs at max LR 0.1, plus masking at random levels up to quantile 0.9, "
            "area weight 1, area exponent 0.5\n") in section(data)
    data["attention"]["lossWeights"] |= {"removal": 1.5}
    assert "up to quantile 0.9, area weight 1, area exponent 0.5, removal weight 1.5\n" in section(data)
    removal_ce = data | {"attention": data["attention"] | {"lossWeights": data["attention"]["lossWeights"]
                                                           | {"removal": 0.0, "removal_ce": 1.5}}}
    assert "area exponent 0.5, removal cross-entropy weight 1.5\n" in section(removal_ce)
    data["attention"] |= {"levelSharpness": 16.0}
    assert "up to quantile 0.9, level cuts at sharpness 16, area weight 1" in section(data)
    data["attention"] |= {"levelsFrom": 0.5}
    assert "plus masking at random levels between quantiles 0.5 and 0.9, level cuts" in section(data)
    data["attention"] |= {"removesUpTo": 0.5}
    assert "quantiles 0.5 and 0.9, level cuts at sharpness 16, removal pass up to the top 50 %, area" in section(data)
    data["attention"] |= {"removesUpTo": 0.9}
    assert "removal pass" not in section(data)  # ROAD's range, the default
    data["attention"] |= {"scheduledEpochs": 2}
    assert "black fill for 2 epochs at max LR 0.1" in section(data)  # a whole schedule
    data["attention"] |= {"scheduledEpochs": 8}
    assert "black fill for 2 of 8 epochs at max LR 0.1" in section(data)  # an epoch kept from a longer one
    data["attention"] |= {"channelGates": False}
    assert "reads layer3, trained with" in section(data)
    data["attention"] |= {"channelGates": True}
    assert "reads layer3 through channel gates, trained with" in section(data)


def test_a_run_is_compared_with_the_baselines_stored_beside_another_run_on_the_same_images():
    stored = results() | {"data": "CIFAR-10 test"}
    better_by_5 = [v - 5 for v in stored["methods"]["ttame"]["perImage"]["AD15"]]
    run = {**stored, "methods": {"ttame": row("T-TAME", {"AD15": better_by_5})}}  # a search run: T-TAME alone
    by = {d.metric: d for d in compare_results(run, stored, "ttame")}
    assert by["AD15"].mean == pytest.approx(-5) and by["AD15"].verdict == "better"
    frame_on_cats = {d.metric: d for d in compare_results(run, stored, "frame", label="cat")}["AD15"]
    assert frame_on_cats.mean == pytest.approx(21 - 5 - 90)  # class 0 only: T-TAME 20-22 less 5 vs the frame's 90
    other_images = {**stored, "targets": [1] * 30 + [0] * 30}
    with pytest.raises(ValueError, match="other images"):
        compare_results(run, other_images, "frame")


def test_a_search_run_is_broken_down_by_class_with_the_floors_stored_beside_another_run():
    stored = results() | {"data": "CIFAR-10 val"}
    ad = [60.0 + i % 3 for i in range(30)] + [20.0 + i % 3 for i in range(30)]  # now class 0 is the one beaten
    run = {**stored, "methods": {"ttame": row("T-TAME", {"AD15": ad}, mapCorrelation={"0": 0.9, "1": 0.3})}}
    merged = with_baselines(run, stored)
    assert merged["methods"]["ttame"] is run["methods"]["ttame"] and merged["methods"]["frame"] is stored["methods"]["frame"]
    rows = {r.class_id: r for r in class_breakdown(merged)}
    assert rows[0].beaten_by == {"frame": []} and rows[1].beaten_by == {"frame": []}  # the frame is 90 / 40
    slower = {**run, "methods": {"ttame": row("T-TAME", {"AD15": [95.0] * 60})}}
    assert {r.class_id: r.beaten_by for r in class_breakdown(with_baselines(slower, stored))} == {
        0: {"frame": ["AD15"]}, 1: {"frame": ["AD15"]}}
    with pytest.raises(ValueError, match="very same images"):
        with_baselines({**run, "targets": run["targets"][:40]}, stored)
    with pytest.raises(ValueError, match="other images"):
        with_baselines({**run, "targets": [1] * 30 + [0] * 30}, stored)

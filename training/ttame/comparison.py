"""What an evaluation's numbers can carry: paired bootstrap confidence intervals of T-TAME minus another method on
the same images, the verdicts those intervals allow, and a per-class breakdown that flags classes whose T-TAME maps
are near image-independent or beaten by a fixed floor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import METRICS, LOWER_IS_BETTER

RESAMPLES = 2000
CONFIDENCE = 0.95
FLOORS = ("frame", "centre")  # image-independent maps: a class where one beats T-TAME learnt nothing image-specific
# Mean pairwise correlation of a class's maps at or above which they are flagged: set after seeing that Grad-CAM's
# maps on 32 px CIFAR-10 objects reach 0.73-0.88 within a class, so only maps as alike as the most alike CAM's count.
IMAGE_INDEPENDENT = 0.8


@dataclass(frozen=True)
class Difference:
    """T-TAME minus another method on one metric, averaged over paired images, with its bootstrap interval."""
    metric: str
    mean: float
    low: float
    high: float

    @property
    def verdict(self) -> str:
        """T-TAME's standing: better or worse only where the interval excludes 0."""
        if self.low <= 0 <= self.high:
            return "no difference"
        return "worse" if (self.low > 0) == (self.metric in LOWER_IS_BETTER) else "better"


def per_image(row: dict, index: np.ndarray | None = None) -> np.ndarray:
    """A method's per-image values [n, len(METRICS)] (of the images in `index`, if given)."""
    values = np.asarray([row["perImage"][m] for m in METRICS], dtype=np.float64).T
    return values if index is None else values[index]


def paired_differences(ours: np.ndarray, theirs: np.ndarray, *, resamples: int = RESAMPLES,
                       seed: int = 0) -> list[Difference]:
    """Per metric, mean(ours - theirs) over the images `theirs` has (the first n of `ours`), with the percentile
    bootstrap interval; every metric sees the same resamples of images."""
    n = len(theirs)
    diff = ours[:n] - theirs
    boot = np.stack([diff[i].mean(0) for i in np.random.default_rng(seed).integers(0, n, (resamples, n))])
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    return [Difference(m, float(diff[:, j].mean()), float(low[j]), float(high[j])) for j, m in enumerate(METRICS)]


def compare_results(ours: dict, theirs: dict, method: str, *, ours_method: str = "ttame",
                    label: str | None = None) -> list[Difference]:
    """`ours_method` of one results file minus `method` of another, paired on the images both rows measured (of
    model-truth class `label` only, if given): how a search run, which measures T-TAME alone, is judged against the
    baselines stored with an earlier run on the same images of the same classifier."""
    for results, name in ((ours, ours_method), (theirs, method)):
        _known(name, results["methods"], "method")
    if label is not None:
        _known(label, ours["labels"], "class")
    mine, other = ours["methods"][ours_method], theirs["methods"][method]
    n = min(mine["images"], other["images"])
    _same_images(ours, theirs, n)
    targets = np.asarray(ours["targets"][:n])
    index = np.arange(n) if label is None else np.nonzero(targets == ours["labels"].index(label))[0]
    return paired_differences(per_image(mine, index), per_image(other, index))


def with_baselines(ours: dict, theirs: dict, ours_method: str = "ttame") -> dict:
    """`theirs` with `ours_method` of `ours` as its T-TAME row: a search run, which measures T-TAME alone, with the
    floors and baselines stored beside an earlier run on the very same images, for `class_breakdown`."""
    _known(ours_method, ours["methods"], "method")
    if len(ours["targets"]) != len(theirs["targets"]):
        raise ValueError("the per-class breakdown needs the two results on the very same images")
    _same_images(ours, theirs, len(theirs["targets"]))
    return {**theirs, "methods": {**theirs["methods"], "ttame": ours["methods"][ours_method]}}


def _same_images(ours: dict, theirs: dict, n: int) -> None:
    if any(ours[k] != theirs[k] for k in ("backbone", "data")) or ours["targets"][:n] != theirs["targets"][:n]:
        raise ValueError("the two results were measured on other images or with another classifier")


def _known(name: str, names, kind: str) -> None:
    if name not in names:
        raise ValueError(f"no {kind} {name!r} in these results; they have {', '.join(names)}")


def standing(differences: list[Difference]) -> str:
    """better / worse on some metrics and not the other way round, mixed, or no difference."""
    verdicts = {d.verdict for d in differences}
    better, worse = "better" in verdicts, "worse" in verdicts
    return "mixed" if better and worse else "better" if better else "worse" if worse else "no difference"


@dataclass(frozen=True)
class ClassRow:
    class_id: int
    images: int
    correlation: dict[str, float]  # method key -> mean pairwise correlation of the class's maps
    centre: dict[str, float]  # method key -> mean correlation of the class's maps with the centre prior
    means: dict[str, float]  # T-TAME's mean per metric over the class's images
    beaten_by: dict[str, list[str]]  # floor key -> the metrics on which it beats T-TAME (interval excludes 0)
    # floor key -> each of those metrics -> the other methods it beats there too: a floor that beats every method
    # shows the classifier's reaction to the masking (a black centre raising "cat"), not a weakness of T-TAME's maps
    also_beats: dict[str, dict[str, list[str]]]
    others: list[str]  # the other explanation methods measured on all of the class's images

    @property
    def image_independent(self) -> bool:
        return self.correlation.get("ttame", 0.0) >= IMAGE_INDEPENDENT

    @property
    def frame_like(self) -> bool:
        """T-TAME's maps anti-correlate with the centre prior: on average a frame around an empty centre."""
        return self.centre.get("ttame", 0.0) < 0


def class_breakdown(results: dict) -> list[ClassRow]:
    """One row per model-truth class of the evaluation's images."""
    methods = results["methods"]
    targets = np.asarray(results["targets"])
    ttame = per_image(methods["ttame"])
    rows = []
    for c in np.unique(targets).tolist():
        index = np.nonzero(targets == c)[0]
        floors = [floor for floor in FLOORS if floor in methods]
        beaten_by = {floor: _beats(per_image(methods[floor], index), ttame[index]) for floor in floors}
        whole = {k: row for k, row in methods.items() if row["images"] == len(targets)}  # not RISE's subset
        others = [k for k in whole if k not in ("ttame", "random", *FLOORS)]  # the other explanation methods
        also_beats = {floor: _also_beats(per_image(methods[floor], index), beaten_by[floor],
                                         {k: per_image(methods[k], index) for k in others}) for floor in floors}
        rows.append(ClassRow(c, len(index), _by_class(whole, "mapCorrelation", c), _by_class(whole, "centreCorrelation", c),
                             dict(zip(METRICS, ttame[index].mean(0).tolist())), beaten_by, also_beats, others))
    return rows


def _also_beats(floor: np.ndarray, metrics: list[str], others: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """For each metric on which the floor beats T-TAME, the other methods it beats there too."""
    if not metrics:
        return {}
    beats = {k: set(_beats(floor, values)) for k, values in others.items()}
    return {m: [k for k in others if m in beats[k]] for m in metrics}


def _beats(floor: np.ndarray, method: np.ndarray) -> list[str]:
    """The metrics on which `floor` is better than `method` on the same images (the interval excludes 0)."""
    return [d.metric for d in paired_differences(floor, method) if d.verdict == "better"]


def _by_class(methods: dict, field: str, class_id: int) -> dict[str, float]:
    return {k: row[field][str(class_id)] for k, row in methods.items() if str(class_id) in row.get(field, {})}

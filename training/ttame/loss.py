"""The T-TAME loss (Eq. 11, 15-17) and the training-time mask selection and masking (Eq. 12-14)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch
import torch.nn.functional as F

from .fills import named_fill


def _weight(paper: float, option: str, name: str, help: str) -> float:
    """A loss weight with the paper's value, its command-line option and its name in reports."""
    return field(default=paper, metadata={"option": option, "name": name, "help": help})


@dataclass(frozen=True)
class LossWeights:
    l1: float = _weight(1.5, "--ce-weight", "cross-entropy weight", "lambda1, the masked-image cross-entropy's weight")
    l2: float = _weight(2.0, "--area-weight", "area weight", "lambda2, the weight of TV' (area + smoothness)")
    l3: float = _weight(0.005, "--smoothness-weight", "smoothness weight", "lambda3, smoothness V's weight in TV'")
    l4: float = _weight(0.3, "--area-exponent", "area exponent",
                        "lambda4, the area term's power: lower pushes low map values harder towards 0")
    # not the paper's: 0 leaves its loss as it is
    removal: float = _weight(0.0, "--removal-weight", "removal weight",
                             "the weight of the class probability left after a masked pass removes a random top "
                             "fraction of each map, in ROAD's range (0, with no --removal-ce-weight: no such pass; "
                             "1.5 weighs it like lambda1)")
    removal_ce: float = _weight(0.0, "--removal-ce-weight", "removal cross-entropy weight",
                                "the weight of -log(1 - p), p that class probability left: unlike p, its gradient "
                                "does not vanish where the removal leaves the classifier confident")

    @property
    def removes(self) -> bool:
        """Whether the loss has a removal term, so a step needs the removal pass."""
        return self.removal > 0 or self.removal_ce > 0


def select_maps(maps: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    """Psi (Eq. 12): for every image, the maps of all classes predicted in the batch -> [B, B, He, We].

    Row i holds image i's maps for y_1..y_B, so it contains its own class y_i plus B-1 others."""
    return maps[:, predicted]


def area(psi: torch.Tensor, l4: float) -> torch.Tensor:
    """E(Psi) (Eq. 16): mean of the element-wise power l4 over all selected map values."""
    return psi.clamp_min(1e-30).pow(l4).mean()  # the clamp keeps d/dx x^0.3 finite at exactly 0


def smoothness(psi: torch.Tensor) -> torch.Tensor:
    """V(Psi) (Eq. 17): squared finite differences along both axes, over 2S (S = number of map values)."""
    dy = (psi[..., 1:, :] - psi[..., :-1, :]).pow(2).sum()
    dx = (psi[..., :, 1:] - psi[..., :, :-1]).pow(2).sum()
    return (dy + dx) / (2 * psi.numel())


def ttame_loss(masked_logits: torch.Tensor, predicted: torch.Tensor, psi: torch.Tensor,
               w: LossWeights = LossWeights(), cut_logits: torch.Tensor | None = None,
               removed_logits: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The paper's terms; with `cut_logits` (the pass that keeps a random top fraction, `at_random_level`) its
    cross-entropy at the paper's weight λ1; with `removed_logits` (the pass that removes one, `without_random_top`)
    the class probability p left after the removal at `w.removal`, and -log(1 - p) at `w.removal_ce`."""
    ce = F.cross_entropy(masked_logits, predicted)
    e, v = area(psi, w.l4), smoothness(psi)
    terms = {"loss": w.l1 * ce + w.l2 * (e + w.l3 * v), "ce": ce, "area": e, "smoothness": v}
    if cut_logits is not None:
        terms["ce_cut"] = F.cross_entropy(cut_logits, predicted)
        terms["loss"] = terms["loss"] + w.l1 * terms["ce_cut"]
    if removed_logits is not None:
        log_p = removed_logits.log_softmax(1)
        terms["p_removed"] = log_p.gather(1, predicted[:, None]).exp().mean()
        # log(1 - p) as the log of the other classes' summed probabilities: finite and exact however close p is to 1
        others = log_p.masked_fill(F.one_hot(predicted, log_p.shape[1]).bool(), float("-inf")).logsumexp(1)
        terms["ce_removed"] = -others.mean()
        terms["loss"] = terms["loss"] + w.removal * terms["p_removed"] + w.removal_ce * terms["ce_removed"]
    return terms


LEVEL_SHARPNESS = 4.0  # by default a cut map's soft edge spans about a quarter of the map's standard deviation
# ROAD removes 10-90 % of an image's pixels. The removal pass takes away at least the top 10 % of a map and at most
# `Masking.removes_up_to`, by default 90 % (as quantiles of the map).
FEWEST_REMOVED, MOST_REMOVED = 0.1, 0.9


@dataclass(frozen=True)
class Masking:
    """How the training passes mask the images: what fills the removed pixels (`fills.named_fill`), between which
    quantiles the levels pass cuts (`levels` 0: no such pass), how sharply the levels and removal passes cut and the
    largest top fraction the removal pass takes away. With the defaults, the paper's masking. Stored in a checkpoint's
    record under these field names."""
    fill: str = "black"
    levels: float = 0.0
    levels_from: float = 0.0
    level_sharpness: float = LEVEL_SHARPNESS
    removes_up_to: float = MOST_REMOVED

    def __post_init__(self):
        valid = 0 <= self.levels_from < self.levels < 1 if self.levels else self.levels_from == 0
        if not valid:
            raise ValueError(f"the levels pass cuts between quantiles {self.levels_from:g} and {self.levels:g}: "
                             "need 0 <= from < levels < 1")
        if not FEWEST_REMOVED < self.removes_up_to < 1:
            raise ValueError(f"the removal pass takes away up to {self.removes_up_to:g} of a map: "
                             f"need {FEWEST_REMOVED:g} < it < 1")

    @classmethod
    def from_record(cls, record: dict) -> Masking:
        """The masking a checkpoint was trained with (records older than a field: its default)."""
        return cls(**{f.name: record[f.name] for f in fields(cls) if f.name in record})

    def summary(self) -> dict:
        """As training summaries and evaluation results name it."""
        return {"fill": self.fill, "levels": self.levels, "levelsFrom": self.levels_from,
                "levelSharpness": self.level_sharpness, "removesUpTo": self.removes_up_to}


def at_random_level(own_logits: torch.Tensor, most: float, least: float = 0.0,
                    sharpness: float = LEVEL_SHARPNESS) -> torch.Tensor:
    """The own-class maps [B, He, We] (before the sigmoid), each cut at its value at a random quantile in
    [least, most): the mask of the map's top fraction, between 1 - most and 1 - least. The cut is placed and
    softened on the map's own scale (its standard deviation over `sharpness`), and both are part of the graph: the
    mask depends only on the order of the map's values, so no gradient can raise or sharpen a whole map to keep
    more of the image. A sharper cut is closer to the hard top-k that AD/IC and ROAD apply, and passes gradient
    to fewer values."""
    flat = own_logits.flatten(1)
    values = flat.sort(dim=1).values
    quantile = least + torch.rand(len(values), device=values.device) * (most - least)
    index = (quantile * (values.shape[1] - 1)).round().long()
    level = values.gather(1, index[:, None])
    scale = values.std(dim=1, keepdim=True).clamp_min(1e-6) / sharpness
    return torch.sigmoid((flat - level) / scale).view_as(own_logits)


def without_random_top(own_logits: torch.Tensor, sharpness: float = LEVEL_SHARPNESS,
                       most: float = MOST_REMOVED) -> torch.Tensor:
    """The mask that removes each own-class map's top fraction, drawn between `FEWEST_REMOVED` and `most`: the
    complement of `at_random_level` cut between the matching quantiles, with the same invariance to the map's shift
    and scale."""
    return 1 - at_random_level(own_logits, 1 - FEWEST_REMOVED, 1 - most, sharpness)


def mask_images(images: torch.Tensor, own_maps: torch.Tensor, family, standardize, fill: str = "black") -> torch.Tensor:
    """Mask raw [0,1] images with their own-class maps [B, He, We], upsampled to the image, in the family's order
    (Eq. 13 for a CNN, Eq. 14 for a ViT: `Family.mask`), filling what a map removes as `fills.named_fill(fill)` says."""
    mask = F.interpolate(own_maps[:, None], images.shape[-2:], mode="bilinear", align_corners=False)
    fill_of = named_fill(fill)
    return family.mask(images, mask, standardize, None if fill_of is None else fill_of(images, mask))

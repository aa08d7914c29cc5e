"""`evaluate`: T-TAME vs baselines on the CIFAR-10 test split or a folder of photos -> a results JSON holding every
measure per image (so that comparisons can be paired, by `report`) and per class."""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from .baselines import METHODS, RISE, CentrePrior
from .data import load_split, loader, to_float
from .images import ImageFolderData
from .loss import LossWeights, Masking
from .metrics import METRICS, ROAD, correlation_with, map_correlation, measure
from .model import ExplainedClassifier, confidence, load_checkpoint
from .sanity import sanity_checks

EVAL_SEED = 7
SANITY_IMAGES = 256


def cifar_images(count: int, split: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed, class-balanced-in-expectation sample of a CIFAR-10 split: test for reported figures, val (held out
    of the train split) for choosing training settings without reading the test split."""
    images = load_split(split)
    index = torch.randperm(len(images), generator=torch.Generator().manual_seed(EVAL_SEED))[:count]
    return to_float(images.images[index]), images.labels[index]


def folder_images(model: ExplainedClassifier, data: Path, count: int, labels: list[str], labels_csv: Path | None,
                  workers: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed sample of `count` photos of a folder, preprocessed as served; labels -1 where the folder has none."""
    dataset = ImageFolderData(data, model.spec.preprocessing, labels, labels_csv)
    index = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(EVAL_SEED))[:count].tolist()
    batches = list(loader(torch.utils.data.Subset(dataset, index), 32, workers))
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


CIFAR_SOURCE, FOLDER_SOURCE = "CIFAR-10 ", "the photos of "  # how a results file's "data" names its images


def evaluation_sample(model: ExplainedClassifier, labels: list[str], count: int, split: str = "test",
                      data: Path | None = None, labels_csv: Path | None = None,
                      workers: int = 2) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first `count` images of an evaluation's sample, their true labels (-1 where a folder has none) and the
    name results give them. The sample is one seeded order of the split or folder, so a larger count extends a
    smaller one's images."""
    if data is None:
        return *cifar_images(count, split), CIFAR_SOURCE + split
    return *folder_images(model, data, count, labels, labels_csv, workers), f"{FOLDER_SOURCE}{data}"


def sample_source(results: dict) -> dict:
    """Where a results file's images came from, as `evaluation_sample`'s split and data arguments."""
    data = results.get("data", CIFAR_SOURCE + "test")
    if data.startswith(CIFAR_SOURCE):
        return {"split": data.removeprefix(CIFAR_SOURCE)}
    return {"data": Path(data.removeprefix(FOLDER_SOURCE))}


def checkpoint_labels(model: ExplainedClassifier, record: dict) -> list[str]:
    """The class labels a checkpoint was trained with, else its backbone's own; may be empty: classes go by id."""
    return record.get("labels") or list(model.spec.labels or ())


@torch.no_grad()
def model_truth(model: ExplainedClassifier, images: torch.Tensor) -> torch.Tensor:
    """y of the protocol: the classifier's top class on each clean image."""
    return torch.cat([model.classify(b).argmax(1) for b in images.split(500)])


def by_class(maps: torch.Tensor, targets: torch.Tensor) -> dict[str, dict[str, float]]:
    """Per model-truth class: the mean pairwise correlation of its maps (1 = image-independent; classes with >= 2
    images) and their mean correlation with the centre prior (negative = frame-like)."""
    centre = CentrePrior().prior(*maps.shape[-2:])
    out = {"mapCorrelation": {}, "centreCorrelation": {}}
    for c in targets.unique().tolist():
        mine = maps[targets == c]
        if len(mine) >= 2:
            out["mapCorrelation"][str(c)] = round(map_correlation(mine), 4)
        out["centreCorrelation"][str(c)] = round(correlation_with(mine, centre), 4)
    return out


def attention_record(model: ExplainedClassifier, record: dict) -> dict:
    """How the T-TAME being evaluated was trained, where runs of one classifier differ: what its masking filled
    removed pixels with, for how many epochs (of a schedule how long) at which max LR and loss weights, from which
    seed, and which layers it reads (with channel gates or not)."""
    return {**Masking.from_record(record).summary(), "epochs": record.get("epoch"),
            "scheduledEpochs": record.get("epochs"), "lr": record.get("lr"), "seed": record.get("seed"),
            # a record from before a weight existed trained with its default, 0 for every weight beyond the paper's
            "lossWeights": asdict(LossWeights()) | record.get("loss_weights", {}),
            "featureLayers": list(model.feature_layers), "channelGates": model.attention.channel_gates}


def previous_results(out: Path, fresh: dict, ttame_measured: bool) -> dict:
    """The results at `out`, to add methods to or re-measure some in: they must hold the same images and model
    truth (a retrained T-TAME is compared with the stored baselines without measuring them again). The record of
    how T-TAME was trained follows its row: it changes only where T-TAME is measured again."""
    previous = json.loads(out.read_text())
    if any(previous.get(k) != fresh[k] for k in ("backbone", "data", "images", "targets")):
        raise ValueError(f"{out} was measured on other images or another classifier; evaluate without --update")
    if any("command" not in row for row in previous["methods"].values()):
        raise ValueError(f"{out} does not say which command measured each row; evaluate without --update")
    # a stored command run again is listed once, as the latest step
    commands = [c for c in previous["commands"] if c not in fresh["commands"]] + fresh["commands"]
    attention = fresh["attention"] if ttame_measured else previous.get("attention", fresh["attention"])
    return {**previous, "commands": commands, "attention": attention}


def standing_commands(results: dict) -> list[str]:
    """The steps behind the results as they stand, in the order they ran: a command whose every method was measured
    again since is no longer one of them."""
    behind = {row["command"] for row in results["methods"].values()}
    return [c for c in results["commands"] if c in behind]


def evaluate(checkpoint: Path, out: Path, *, images: int, methods: list[str], rise_images: int | None,
             rise_masks: int, command: str, batch_size: int = 100, data: Path | None = None,
             labels_csv: Path | None = None, workers: int = 2, update: bool = False, split: str = "test") -> dict:
    model, record = load_checkpoint(checkpoint)
    labels = checkpoint_labels(model, record)
    all_images, truth, source = evaluation_sample(model, labels, images, split, data, labels_csv, workers)
    images = len(all_images)
    with torch.no_grad():
        targets = model_truth(model, all_images)
        clean = torch.cat([confidence(model, xb, yb) for xb, yb in zip(all_images.split(500), targets.split(500))])
    known = truth >= 0
    results = {"backbone": model.backbone_name, "family": model.family.name, "data": source, "images": images,
               "top1_on_sample": round((targets[known] == truth[known]).float().mean().item(), 4) if known.any() else None,
               "commands": [command], "attention": attention_record(model, record), "labels": labels, "targets": targets.tolist(), "methods": {}}
    if update and out.exists():
        results = previous_results(out, results, "ttame" in methods)
    if "ttame" in methods or "sanity" not in results:
        results["sanity"] = sanity_checks(model, all_images[:SANITY_IMAGES])
        results.pop("sanitySets", None)  # another attention's
        print(json.dumps({"sanity": results["sanity"]}), flush=True)
    for key in methods:
        method = METHODS[key](masks=rise_masks) if key == "rise" else METHODS[key]()
        n = min(rise_images or images, images) if isinstance(method, RISE) else images
        x, y = all_images[:n], targets[:n]
        start = time.perf_counter()
        maps = torch.cat([method(model, xb, yb) for xb, yb in zip(x.split(batch_size), y.split(batch_size))])
        ms = (time.perf_counter() - start) * 1000 / n
        per_image = measure(model, x, y, maps, clean[:n])
        row = {"name": method.name, "command": command, "images": n, "forwardPasses": method.forward_passes,
               "backwardPasses": method.backward_passes, "msPerExplanation": round(ms, 3),
               **{m: per_image[m].mean().item() for m in METRICS},
               "roadByLevel": {k: [round(v, 3) for v in per_image[f"{k} by level"].mean(1).tolist()] for k in ROAD},
               **by_class(maps, y),
               "perImage": {m: [round(v, 3) for v in per_image[m].tolist()] for m in METRICS}}
        measured = {**results["methods"], key: row}
        results["methods"] = {k: measured[k] for k in METHODS if k in measured}  # the report's row order
        results["commands"] = standing_commands(results)
        print(json.dumps({key: {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()
                                if not isinstance(v, dict)}}), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, separators=(",", ":")))
    return results


def rerun_sanity(checkpoint: Path, results_path: Path, sets: int = 1) -> dict:
    """Recompute only the IV-F3 checks of an evaluation, on its own first images (as many as `evaluate` checks) and,
    with `sets` > 1, on as many more disjoint sets of that size drawn further along its sample: one set is one
    draw, and a figure near the bar needs several. The measured methods stay as they are."""
    results = json.loads(results_path.read_text())
    model, record = load_checkpoint(checkpoint)
    size = min(SANITY_IMAGES, results["images"])
    images = evaluation_sample(model, checkpoint_labels(model, record), sets * size, **sample_source(results))[0]
    if len(images) < sets * size:
        raise ValueError(f"{sets} sets of {size} images need {sets * size}; {results['data']} has {len(images)}")
    shared = min(len(images), results["images"])
    if model_truth(model, images[:shared]).tolist() != results["targets"][:shared]:
        raise ValueError(f"{results_path} was measured on other images or another classifier")
    checks = [sanity_checks(model, images[i * size:(i + 1) * size]) for i in range(sets)]
    results["sanity"] = checks[0]
    if sets > 1:
        results["sanitySets"] = checks
    else:
        results.pop("sanitySets", None)
    results_path.write_text(json.dumps(results, separators=(",", ":")))
    print(json.dumps({"sanity": checks}))
    return results

"""`evaluate`: T-TAME vs baselines on the CIFAR-10 test split or a folder of photos -> results JSON and a report."""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from .baselines import METHODS, RISE
from .model import confidence as softmax_scores
from .data import load_split, loader, to_float
from .images import ImageFolderData
from .metrics import AD_IC_LEVELS, average_drop_increase, road
from .model import ExplainedClassifier, load_checkpoint, load_explained
from .sanity import sanity_checks

EVAL_SEED = 7
CIFAR_TEST = "CIFAR-10 test"
SANITY_IMAGES = 256


def test_images(count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed, class-balanced-in-expectation sample of the test split."""
    test = load_split("test")
    index = torch.randperm(len(test), generator=torch.Generator().manual_seed(EVAL_SEED))[:count]
    return to_float(test.images[index]), test.labels[index]


def folder_images(model: ExplainedClassifier, data: Path, count: int, labels: list[str], labels_csv: Path | None,
                  workers: int = 2) -> tuple[torch.Tensor, torch.Tensor, str]:
    """A fixed sample of `count` photos of a folder, preprocessed as served; labels -1 where the folder has none."""
    dataset = ImageFolderData(data, model.spec.preprocessing, labels, labels_csv)
    index = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(EVAL_SEED))[:count].tolist()
    batches = list(loader(torch.utils.data.Subset(dataset, index), 32, workers))
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]), f"the photos of {data}"


def evaluate(checkpoint: Path, out: Path, *, images: int, methods: list[str], rise_images: int | None,
             rise_masks: int, command: str, batch_size: int = 100, data: Path | None = None,
             labels_csv: Path | None = None, workers: int = 2) -> dict:
    model, record = load_checkpoint(checkpoint)
    if data is None:
        all_images, labels = test_images(images)
        source = CIFAR_TEST
    else:
        all_images, labels, source = folder_images(model, data, images, record.get("labels") or [], labels_csv, workers)
    images = len(all_images)
    with torch.no_grad():
        targets = torch.cat([model.classify(b).argmax(1) for b in all_images.split(500)])  # model truth
    known = labels >= 0
    results = {"backbone": model.backbone_name, "family": model.family.name, "data": source, "images": images,
               "top1_on_sample": round((targets[known] == labels[known]).float().mean().item(), 4) if known.any() else None,
               "command": command, "methods": {}}
    results["sanity"] = sanity_checks(model, all_images[:SANITY_IMAGES])
    print(json.dumps({"sanity": results["sanity"]}), flush=True)
    for key in methods:
        method = METHODS[key](masks=rise_masks) if key == "rise" else METHODS[key]()
        n = min(rise_images or images, images) if isinstance(method, RISE) else images
        x, y = all_images[:n], targets[:n]
        start = time.perf_counter()
        maps = torch.cat([method(model, xb, yb) for xb, yb in zip(x.split(batch_size), y.split(batch_size))])
        ms = (time.perf_counter() - start) * 1000 / n
        row = {"name": method.name, "images": n, "forwardPasses": method.forward_passes,
               "backwardPasses": method.backward_passes, "msPerExplanation": round(ms, 3)}
        with torch.no_grad():
            clean = torch.cat([softmax_scores(model, xb, yb) for xb, yb in zip(x.split(500), y.split(500))])
        for level in AD_IC_LEVELS:
            ad, ic = average_drop_increase(model, x, y, maps, level, clean)
            row[f"AD{level}"], row[f"IC{level}"] = ad.mean().item(), ic.mean().item() * 100
        row["MoRF"] = road(model, x, y, maps, most_relevant_first=True)
        row["LeRF"] = road(model, x, y, maps, most_relevant_first=False)
        results["methods"][key] = row
        print(json.dumps({key: {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}}), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
    return results


def rerun_sanity(checkpoint: Path, results_path: Path) -> dict:
    """Recompute only the IV-F3 checks of an evaluation (same images), leaving its measured methods as they are."""
    results = json.loads(results_path.read_text())
    model = load_explained(checkpoint)
    results["sanity"] = sanity_checks(model, test_images(SANITY_IMAGES)[0])
    results_path.write_text(json.dumps(results, indent=2))
    print(json.dumps({"sanity": results["sanity"]}))
    return results


COLUMNS = ["AD100", "IC100", "AD50", "IC50", "AD15", "IC15", "MoRF", "LeRF"]


def write_report(results_dir: Path, report: Path) -> None:
    sections = []
    runs = [json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))]
    for data in sorted((r for r in runs if "methods" in r), key=lambda r: (r["backbone"], -r["images"])):
        lines = [f"### {data['backbone']} ({data['family']}), {data['images']} " + (
                     "CIFAR-10 test images" if data.get("data", CIFAR_TEST) == CIFAR_TEST else f"of {data['data']}"),
                 "", f"Command: `{data['command']}`", "",
                 "| method | " + " | ".join(f"{c}{'↓' if c.startswith('AD') or c == 'MoRF' else '↑'}" for c in COLUMNS)
                 + " | FP | ms/expl. | images |",
                 "|---|" + "---|" * (len(COLUMNS) + 3)]
        for row in data["methods"].values():
            fp = f"{row['forwardPasses']}" + (f" + {row['backwardPasses']} BP" if row["backwardPasses"] else "")
            lines.append(f"| {row['name']} | " + " | ".join(f"{row[c]:.2f}" for c in COLUMNS)
                         + f" | {fp} | {row['msPerExplanation']:.2f} | {row['images']} |")
        sanity = ", ".join(f"{k}: {v:.3f}" for k, v in data.get("sanity", {}).items())
        lines += ["", f"Sanity check (IV-F3) on {min(SANITY_IMAGES, data['images'])} of these images: mean Spearman correlation of the "
                  f"T-TAME maps with the maps after randomising the attention, or the backbone's feature layers "
                  f"cascading from the top, then the whole backbone: {sanity} (near 0 = the maps depend on what was randomised)."]
        sections.append("\n".join(lines))
    report.parent.mkdir(parents=True, exist_ok=True)
    header = report.read_text().split("<!-- results -->")[0] if report.exists() else "# Results\n\n"
    report.write_text(header + "<!-- results -->\n\n" + "\n\n".join(sections) + "\n")

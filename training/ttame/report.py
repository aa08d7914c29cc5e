"""The markdown report of evaluations (`docs/results.md`): per results JSON, the measures of every method, T-TAME
minus each method with paired bootstrap intervals and the verdicts they allow, and the per-class breakdown.
Everything below the report's marker is rewritten; the text above it is kept."""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from .comparison import (CONFIDENCE, FLOORS, IMAGE_INDEPENDENT, RESAMPLES, class_breakdown, paired_differences,
                         per_image, standing)
from .evaluate import SANITY_IMAGES
from .loss import LEVEL_SHARPNESS, LossWeights, Masking
from .metrics import AD_IC, LOWER_IS_BETTER, METRICS, ROAD, ROAD_LEVELS

MARKER = "<!-- results -->"
SIGN = {"better": "✓", "worse": "✗", "no difference": "="}
CLASS_METRICS = ("AD15", "IC15", "MoRF", "LeRF")


def _head(metric: str) -> str:
    return metric + ("↓" if metric in LOWER_IS_BETTER else "↑")


def _num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace("-", "−")


def measures_table(results: dict) -> list[str]:
    rows = list(results["methods"].values())
    ttame = results["methods"].get("ttame")
    subsets = sorted({r["images"] for r in rows if r["images"] < results["images"]}) if "perImage" in (ttame or {}) else []
    lines = ["| method | " + " | ".join(map(_head, METRICS)) + " | FP | ms/expl. | images |",
             "|---|" + "---|" * (len(METRICS) + 3)]
    for row in rows:
        fp = f"{row['forwardPasses']}" + (f" + {row['backwardPasses']} BP" if row["backwardPasses"] else "")
        lines.append(f"| {row['name']} | " + " | ".join(f"{row[m]:.2f}" for m in METRICS)
                     + f" | {fp} | {row['msPerExplanation']:.2f} | {row['images']} |")
    for n in subsets if ttame else []:
        means = per_image(ttame)[:n].mean(0)
        lines.append(f"| T-TAME, first {n} images | " + " | ".join(f"{v:.2f}" for v in means)
                     + f" | 1 | {ttame['msPerExplanation']:.2f} | {n} |")
    return lines


def road_levels_table(results: dict) -> list[str]:
    """ROAD's curves behind MoRF and LeRF, for the methods whose results have them (newer than that record)."""
    rows = [(row["name"], kind, row["roadByLevel"][kind]) for kind in ROAD
            for row in results["methods"].values() if "roadByLevel" in row]
    if not rows:
        return []
    return ["", "ROAD by the share of pixels removed and imputed: the mean target confidence (%) at each level, whose "
                "mean over the levels is MoRF or LeRF.", "",
            "| method | order | " + " | ".join(f"{level} %" for level in ROAD_LEVELS) + " |",
            "|---|---|" + "---|" * len(ROAD_LEVELS),
            *(f"| {name} | {kind} | " + " | ".join(f"{v:.1f}" for v in curve) + " |" for name, kind, curve in rows)]


def differences_table(results: dict) -> list[str]:
    methods = results["methods"]
    ours = per_image(methods["ttame"])
    lines = ["| T-TAME minus | " + " | ".join(map(_head, METRICS)) + " | AD/IC | ROAD | images |",
             "|---|" + "---|" * (len(METRICS) + 3)]
    for key, row in methods.items():
        if key == "ttame":
            continue
        diffs = paired_differences(ours, per_image(row))
        cells = [f"{_num(d.mean)} [{_num(d.low)}, {_num(d.high)}] {SIGN[d.verdict]}" for d in diffs]
        adic = standing([d for d in diffs if d.metric in AD_IC])
        road = standing([d for d in diffs if d.metric in ROAD])
        lines.append(f"| {row['name']} | " + " | ".join(cells) + f" | {adic} | {road} | {row['images']} |")
    return lines


def classes_table(results: dict) -> list[str]:
    methods, labels = results["methods"], results.get("labels") or []
    lines = ["| class | images | T-TAME map corr. | T-TAME corr. with centre | Grad-CAM map corr. | "
             + " | ".join(map(_head, CLASS_METRICS)) + " | a floor beats T-TAME on | flags |",
             "|---|" + "---|" * (len(CLASS_METRICS) + 6)]
    for row in class_breakdown(results):
        label = labels[row.class_id] if row.class_id < len(labels) else str(row.class_id)
        beaten = "; ".join(f"{methods[f]['name']}: {', '.join(ms)}{_also(methods, row, f)}"
                           for f, ms in row.beaten_by.items() if ms) or "–"
        flags = [f for f, on in (("image-independent maps", row.image_independent), ("frame-like maps", row.frame_like),
                                 ("beaten by a floor", beaten != "–")) if on]
        values = [row.correlation.get("ttame"), row.centre.get("ttame"), row.correlation.get("gradcam")]
        lines.append(f"| {label} | {row.images} | " + " | ".join("–" if v is None else _num(v, 3) for v in values)
                     + " | " + " | ".join(f"{row.means[m]:.1f}" for m in CLASS_METRICS)
                     + f" | {beaten} | {', '.join(flags) or '–'} |")
    return lines


def _also(methods: dict, row, floor: str) -> str:
    """Which other methods the floor beats on those measures too, measures with the same answer said together."""
    if not row.others:
        return ""
    groups: dict[tuple[str, ...], list[str]] = {}
    for metric, beaten in row.also_beats[floor].items():
        groups.setdefault(tuple(beaten), []).append(metric)

    def said(beaten: tuple[str, ...]) -> str:
        if len(beaten) == len(row.others):
            return "and every other method"
        return f"and {', '.join(methods[k]['name'] for k in beaten)}" if beaten else "no other method"

    if len(groups) == 1:
        return f" ({said(next(iter(groups)))})"
    return " (" + "; ".join(f"{', '.join(ms)}: {said(beaten)}" for beaten, ms in groups.items()) + ")"


def _how_trained(attention: dict | None) -> str:
    """The heading's account of the T-TAME measured (results older than that record have none)."""
    if not attention:
        return ""
    epochs, scheduled = attention["epochs"], attention.get("scheduledEpochs") or attention["epochs"]
    epochs = f"{epochs} of {scheduled} epochs" if scheduled != epochs else f"{epochs} epoch{'s' if epochs != 1 else ''}"
    lr = f" at max LR {attention['lr']}" if attention.get("lr") else ""
    seed = f", seed {attention['seed']}" if attention.get("seed") else ""  # 0, the default, or not recorded: unsaid
    gates = " through channel gates" if attention.get("channelGates") else ""
    return (f"; T-TAME reads {', '.join(attention['featureLayers'])}{gates}, trained with {attention['fill']} fill for "
            f"{epochs}{lr}{seed}{_levels(attention)}{_loss_weights(attention.get('lossWeights'))}")


def _levels(attention: dict) -> str:
    levels, lowest = attention.get("levels"), attention.get("levelsFrom")
    sharpness = attention.get("levelSharpness", LEVEL_SHARPNESS)
    cuts = f"between quantiles {lowest:g} and {levels:g}" if lowest else f"up to quantile {levels:g}" if levels else ""
    removes = attention.get("removesUpTo", Masking.removes_up_to)
    return ((f", plus masking at random levels {cuts}" if cuts else "") +
            (f", level cuts at sharpness {sharpness:g}" if sharpness != LEVEL_SHARPNESS else "") +
            (f", removal pass up to the top {removes * 100:g} %" if removes != Masking.removes_up_to else ""))


def _loss_weights(weights: dict | None) -> str:
    """The loss weights that differ from the paper's (none: the paper's, or results older than that record)."""
    named = {w.name: w for w in fields(LossWeights)}
    changed = [f"{named[k].metadata['name']} {v:g}" for k, v in (weights or {}).items() if v != named[k].default]
    return f", {', '.join(changed)}" if changed else ""


def section(results: dict) -> str:
    data = results.get("data", "CIFAR-10 test")
    source = f"{data} images" if data.startswith("CIFAR-10") else f"of {data}"
    top1 = f" (top-1 on them {results['top1_on_sample'] * 100:.2f} %)" if results.get("top1_on_sample") else ""
    lines = [f"### {results['backbone']} ({results['family']}), {results['images']} {source}{top1}"
             f"{_how_trained(results.get('attention'))}", "",
             *(f"Command: `{c}`" for c in results["commands"]), "",
             *measures_table(results), *road_levels_table(results)]
    paired = "ttame" in results["methods"] and all("perImage" in r for r in results["methods"].values())
    if paired and len(results["methods"]) > 1:
        lines += ["", f"T-TAME minus each method on the same images (its first n where a method ran on fewer), mean "
                      f"and paired bootstrap {CONFIDENCE * 100:.0f} % interval ({RESAMPLES} resamples of the images); "
                      f"{SIGN['better']} T-TAME better, {SIGN['worse']} worse, {SIGN['no difference']} no difference "
                      "(the interval holds 0). AD/IC and ROAD: T-TAME's standing on each group of measures "
                      "(better or worse on some and not the other way round, mixed, no difference).", "",
                  *differences_table(results)]
    if paired and "targets" in results:
        floors = " and ".join(results["methods"][f]["name"] for f in FLOORS if f in results["methods"])
        lines += ["", f"Per model-truth class: the mean pairwise correlation of the maps within the class (1 = the same "
                      f"map for every image; flagged from {IMAGE_INDEPENDENT}), the mean correlation of T-TAME's maps "
                      f"with the centre prior (negative = a frame: flagged frame-like), T-TAME's means, and the "
                      f"measures on which a fixed floor ({floors}) beats T-TAME in the class (paired "
                      f"{CONFIDENCE * 100:.0f} % interval).", "",
                  *classes_table(results)]
    sanity = ", ".join(f"{k}: {v:.3f}" for k, v in results.get("sanity", {}).items())
    if sanity:
        lines += ["", f"Sanity check (IV-F3) on {min(SANITY_IMAGES, results['images'])} of these images: mean Spearman "
                      f"correlation of the T-TAME maps with the maps after randomising the attention, or the "
                      f"backbone's feature layers cascading from the top, then the whole backbone: {sanity} (near 0 = "
                      f"the maps depend on what was randomised).{_sanity_sets(results.get('sanitySets', []))}"]
    return "\n".join(lines)


def _sanity_sets(sets: list[dict[str, float]]) -> str:
    """Each check's range over the disjoint image sets of `ttame sanity --sets`, when there are several."""
    if len(sets) < 2:
        return ""
    ranges = ", ".join(f"{k}: {min(s[k] for s in sets):.3f} to {max(s[k] for s in sets):.3f}" for k in sets[0])
    return (f" Over {len(sets)} disjoint sets of as many images of the same sample (these and the next "
            f"{len(sets) - 1}): {ranges}.")


def write_report(results_dir: Path, report: Path) -> None:
    runs = [json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))]
    sections = [section(r) for r in sorted((r for r in runs if "methods" in r), key=lambda r: (r["backbone"], -r["images"]))]
    report.parent.mkdir(parents=True, exist_ok=True)
    header = report.read_text().split(MARKER)[0] if report.exists() else "# Results\n\n"
    report.write_text(header + MARKER + "\n\n" + "\n\n".join(sections) + "\n")

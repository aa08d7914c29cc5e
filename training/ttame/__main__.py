"""CLI: scripts/ttame {train-backbone,train-attention,evaluate,compare,sanity,labels,export} ...
(python3 -m ttame with torch)."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import fields
from pathlib import Path

import torch

from .baselines import METHODS
from .fills import FILLS, named_fill
from .labels import read_labels
from .loss import LossWeights, Masking


def checked_fill(name: str) -> str:
    """--fill as given, once `named_fill` knows it; otherwise a usage error that says what it takes."""
    try:
        named_fill(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="ttame")
    parser.add_argument("--threads", type=int, default=2)
    backbone_help = ("a torchvision classifier name (resnet50, resnet18, mobilenet_v3_large, efficientnet_b0, "
                     "convnext_tiny, vgg16, vit_b_16, ...), one of ours (cifar_resnet, cifar_vit), or a .toml spec "
                     "file of your own nn.Module (see ttame/backbones.py: load_spec_file)")
    data_help = ("a folder of JPEG/PNG/WebP photos, read recursively (labels: ImageFolder sub-folders or "
                 "--labels-csv); default: CIFAR-10")
    labels_csv_help = "CSV of path,label rows (path relative to --data; label a class name or id)"
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train-backbone", help="train a CIFAR-10 classifier (no pretrained weights here)")
    p.add_argument("--backbone", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--epochs", type=int, default=14)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd")
    p.add_argument("--label-smoothing", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="train on the first N images only (smoke runs)")
    p.add_argument("--init", type=Path, help="start from this backbone checkpoint (a second, fine-tuning cycle)")
    p.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda")

    p = sub.add_parser("train-attention", help="train T-TAME on a frozen backbone")
    p.add_argument("--backbone", required=True, help=backbone_help)
    p.add_argument("--weights", help="the classifier's weights: a state dict (.pt/.pth; its class count is the "
                                     "model's; of a train-attention checkpoint, the classifier it explains), a "
                                     "torchvision weights enum name, or `pretrained`; none = random init")
    p.add_argument("--data", type=Path, help=data_help + "; unlabelled photos are enough (T-TAME learns from the "
                                                          "classifier's own predictions)")
    p.add_argument("--labels", type=Path, help="text file, one class label a line (default: the backbone's own "
                                                "CIFAR-10 or ImageNet labels when the class count matches)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader processes decoding --data")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05, help="max LR of the OneCycle schedule")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="train on the first N images only (smoke runs)")
    p.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda")
    p.add_argument("--keep-epochs", action="store_true",
                   help="also keep each epoch's checkpoint as OUT/attention-eN.pt (to measure the epochs of one "
                        "schedule; the last is attention.pt as well)")
    p.add_argument("--fill", type=checked_fill, default=Masking.fill,
                   help="what the training masking puts where a map is low (ttame/fills.py): one of "
                        f"{', '.join(FILLS)} (black = the paper's), or a mix drawn per image like impute:3,black:1")
    p.add_argument("--levels", type=float, default=Masking.levels,
                   help="also train the order inside the maps: a second masked pass keeps each map's top fraction, "
                        "cut at a random quantile below this (0-1), and adds its cross-entropy (0 = the paper's loss)")
    p.add_argument("--levels-from", type=float, default=Masking.levels_from,
                   help="the lowest quantile the --levels pass cuts at (default 0: up to the whole map kept); "
                        "higher trains only the order at the top of the maps, which AD/IC(15) read")
    p.add_argument("--level-sharpness", type=float, default=Masking.level_sharpness,
                   help="how hard the --levels and removal passes cut: the map's standard deviation over the soft "
                        "edge's width (higher is closer to a hard top-k)")
    p.add_argument("--removes-up-to", type=float, default=Masking.removes_up_to,
                   help="the largest top fraction of each map the removal pass takes away (it draws between 0.1 and "
                        "this; default 0.9, ROAD's range); lower trains the order at the top, which MoRF reads first")
    p.add_argument("--channel-gates", action="store_true",
                   help="give every feature branch a squeeze-and-excitation gate (ttame/attention.py: ChannelGate), "
                        "so that the fusion's channel weights become per image (not the paper's)")
    for weight in fields(LossWeights):
        p.add_argument(weight.metadata["option"], dest=weight.name, type=float, default=weight.default,
                       help=weight.metadata["help"])

    p = sub.add_parser("evaluate", help="AD/IC/ROAD of T-TAME vs baselines on the CIFAR-10 test split or --data")
    p.add_argument("--checkpoint", type=Path, required=True, help="train-attention checkpoint")
    p.add_argument("--data", type=Path, help=data_help + "; top-1 is reported where photos are labelled")
    p.add_argument("--labels-csv", type=Path, help=labels_csv_help)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, required=True, help="JSON file of the results")
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--split", choices=["test", "val"], default="test",
                   help="CIFAR-10 split: val (held out of train) to choose training settings, test to report")
    p.add_argument("--rise-images", type=int, default=None, help="evaluate RISE on the first N images only")
    p.add_argument("--rise-masks", type=int, default=4000)
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated, of: " + ", ".join(METHODS))
    p.add_argument("--report", type=Path, help="also (re)write this markdown report from every results JSON beside --out")
    p.add_argument("--update", action="store_true",
                   help="add or re-measure --methods in the existing --out (same images), keeping its other methods")

    p = sub.add_parser("sanity", help="recompute the IV-F3 sanity checks of an evaluate results JSON, on its images")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--sets", type=int, default=1,
                   help="also check N-1 more disjoint sets of as many images, further along the same sample (the "
                        "report gives each check's range over the sets)")
    p.add_argument("--report", type=Path)

    p = sub.add_parser("compare", help="one results JSON's T-TAME minus another's method on the same images: "
                                        "paired 95 %% bootstrap intervals and verdicts, per metric")
    p.add_argument("ours", type=Path, help="results JSON of `evaluate` (e.g. a search run's, T-TAME alone)")
    p.add_argument("theirs", type=Path, help="results JSON holding --method, measured on the same images")
    p.add_argument("--method", default="scorecam", help="the method of THEIRS to compare with")
    p.add_argument("--ours-method", default="ttame", help="the method of OURS")
    p.add_argument("--class", dest="label", help="only the images of this model-truth class (a label)")
    p.add_argument("--classes", action="store_true",
                   help="also print the per-class breakdown of OURS with THEIRS' floors and methods (the report's "
                        "table: frame-like maps, classes a floor beats); needs the very same images")

    p = sub.add_parser("labels", help="print the labels a backbone knows (ImageNet's for torchvision), one a line")
    p.add_argument("--backbone", required=True, help=backbone_help)

    p = sub.add_parser("export", help="write a model pack: manifest.json + model.onnx + classifier.onnx")
    p.add_argument("--checkpoint", type=Path, required=True, help="train-attention checkpoint")
    p.add_argument("--out", type=Path, required=True, help="pack directory, e.g. models/cifar10-cnn")
    p.add_argument("--id", required=True)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--evaluation", type=Path, help="results JSON of `evaluate` to record in the manifest")
    p.add_argument("--hardware", default=None, help="where training ran (default: this machine)")
    p.add_argument("--labels", type=Path, help="labels file overriding the checkpoint's (one label a line)")
    p.add_argument("--data", type=Path, help="labelled photos for the pack's top-1 (" + data_help + ")")
    p.add_argument("--labels-csv", type=Path, help=labels_csv_help)
    p.add_argument("--workers", type=int, default=2)

    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "ttame " + " ".join(shlex.quote(a) for a in argv)
    labels = read_labels(args.labels) if getattr(args, "labels", None) else None
    if args.command == "train-backbone":
        from .train import train_backbone
        summary = train_backbone(args.backbone, args.out, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                 weight_decay=args.weight_decay, optimizer=args.optimizer,
                                 label_smoothing=args.label_smoothing, seed=args.seed, limit=args.limit,
                                 init=args.init, device=torch.device(args.device))
    elif args.command == "train-attention":
        from .train import train_attention
        try:
            masking = Masking(args.fill, args.levels, args.levels_from, args.level_sharpness, args.removes_up_to)
        except ValueError as error:
            parser.error(str(error))
        summary = train_attention(args.backbone, args.weights, args.out, epochs=args.epochs,
                                  batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                                  seed=args.seed, limit=args.limit, device=torch.device(args.device), data=args.data,
                                  labels=labels, workers=args.workers, masking=masking,
                                  keep_epochs=args.keep_epochs, channel_gates=args.channel_gates,
                                  loss_weights=LossWeights(**{w.name: getattr(args, w.name)
                                                              for w in fields(LossWeights)}))
    elif args.command == "evaluate":
        from .evaluate import evaluate
        from .report import write_report
        evaluate(args.checkpoint, args.out, images=args.images, methods=args.methods.split(","),
                 rise_images=args.rise_images, rise_masks=args.rise_masks, command=command, data=args.data,
                 labels_csv=args.labels_csv, workers=args.workers, update=args.update,
                 split=args.split)
        if args.report:
            write_report(args.out.parent, args.report)
        return
    elif args.command == "compare":
        from .comparison import compare_results, standing, with_baselines
        from .report import classes_table
        ours, theirs = (json.loads(path.read_text()) for path in (args.ours, args.theirs))
        try:
            differences = compare_results(ours, theirs, args.method, ours_method=args.ours_method, label=args.label)
            classes = classes_table(with_baselines(ours, theirs, args.ours_method)) if args.classes else []
        except ValueError as error:
            parser.error(str(error))
        print(f"{args.ours.name} {args.ours_method} minus {args.theirs.name} {args.method}"
              f"{f' ({args.label})' if args.label else ''}: {standing(differences)}")
        for d in differences:
            print(f"  {d.metric:6s} {d.mean:+7.2f} [{d.low:+.2f}, {d.high:+.2f}] {d.verdict}")
        if classes:
            print("\n" + "\n".join(classes))
        return
    elif args.command == "labels":
        from .backbones import resolve_backbone
        print("\n".join(resolve_backbone(args.backbone).labels or ()))
        return
    elif args.command == "sanity":
        from .evaluate import rerun_sanity
        from .report import write_report
        if args.sets < 1:
            parser.error("--sets must be at least 1")
        try:
            rerun_sanity(args.checkpoint, args.results, args.sets)
        except ValueError as error:
            parser.error(str(error))
        if args.report:
            write_report(args.results.parent, args.report)
        return
    else:
        from .pack import export_pack
        export_pack(args.checkpoint, args.out, pack_id=args.id, version=args.version,
                    evaluation=args.evaluation, hardware=args.hardware, command=command, labels=labels,
                    data=args.data, labels_csv=args.labels_csv, workers=args.workers)
        return
    summary["command"] = command
    (args.out / f"{args.command}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

"""Training loops: the backbone classifier (where no pretrained one exists) and the T-TAME attention."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .backbones import BACKBONES, build_classifier
from .data import ImageSet, augment, batches, load_split, to_float
from .loss import LossWeights, mask_images, select_maps, ttame_loss
from .model import ExplainedClassifier, Standardize


def log(event: dict, log_file: Path | None) -> None:
    line = json.dumps(event)
    print(line, flush=True)
    if log_file:
        with log_file.open("a") as f:
            f.write(line + "\n")


@torch.no_grad()
def accuracy(classify, data: ImageSet, batch_size: int = 500) -> float:
    correct = 0
    for images, labels in batches(data, batch_size, shuffle=False):
        correct += (classify(images).argmax(1) == labels).sum().item()
    return correct / len(data)


def _optimizer(params, kind: str, lr: float, weight_decay: float):
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)


def one_cycle(opt, lr: float, steps: int, **kwargs):
    """OneCycleLR with a 25 % warm-up; short smoke runs (>= 2 steps) keep both phases non-empty."""
    if steps < 2:
        raise ValueError("a run needs at least two batches (raise --limit or lower --batch-size)")
    pct_start = min(max(0.25, 1.5 / steps), 0.75)
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=pct_start, **kwargs)


def train_backbone(backbone: str, out: Path, *, epochs: int, batch_size: int, lr: float, weight_decay: float,
                   optimizer: str, label_smoothing: float, seed: int, limit: int | None = None) -> dict:
    """Supervised training on the CIFAR-10 train split (validation slice held out); saves out/backbone.pt."""
    torch.manual_seed(seed)
    spec = BACKBONES[backbone]
    train, val = load_split("train"), load_split("val")
    if limit:
        train, val = train.subset(torch.arange(limit)), val.subset(torch.arange(min(limit, len(val))))
    model = build_classifier(backbone, 10)
    standardize = Standardize(spec.mean, spec.std)
    opt = _optimizer(model.parameters(), optimizer, lr, weight_decay)
    steps = epochs * math.ceil(len(train) / batch_size)
    schedule = one_cycle(opt, lr, steps, anneal_strategy="linear")
    out.mkdir(parents=True, exist_ok=True)
    log_file = out / "backbone-log.jsonl"
    generator = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        start, seen, loss_sum = time.time(), 0, 0.0
        for images, labels in batches(train, batch_size, shuffle=True, generator=generator):
            loss = F.cross_entropy(model(standardize(augment(images, generator))), labels,
                                   label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            seen += len(labels)
            loss_sum += loss.item() * len(labels)
            if seen % (batch_size * 20) == 0:
                log({"epoch": epoch, "seen": seen, "loss": round(loss_sum / seen, 4),
                     "img_per_s": round(seen / (time.time() - start), 1)}, None)
        model.eval()
        val_acc = accuracy(lambda x: model(standardize(x)), val)
        event = {"epoch": epoch, "train_loss": round(loss_sum / seen, 4), "val_top1": round(val_acc, 4),
                 "seconds": round(time.time() - start, 1)}
        history.append(event)
        log(event, log_file)
        torch.save({"model": model.state_dict(), "backbone": backbone, "epoch": epoch}, out / "backbone.pt")
    return {"backbone": backbone, "epochs": epochs, "seed": seed, "val_top1": history[-1]["val_top1"],
            "history": history}


def train_attention(backbone: str, weights: str | None, out: Path, *, epochs: int, batch_size: int, lr: float,
                    weight_decay: float, seed: int, loss_weights: LossWeights = LossWeights(),
                    limit: int | None = None) -> dict:
    """T-TAME training on a frozen backbone (III-C3): model truth, mask selection, family-specific masking, SGD +
    OneCycleLR. Saves out/attention.pt holding the backbone and attention weights (all the exporter needs)."""
    torch.manual_seed(seed)
    model = ExplainedClassifier(backbone, 10, weights)
    train = load_split("train")
    if limit:
        train = train.subset(torch.arange(limit))
    params = list(model.attention.parameters())
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    steps = epochs * math.ceil(len(train) / batch_size)
    schedule = one_cycle(opt, lr, steps)
    out.mkdir(parents=True, exist_ok=True)
    log_file = out / "attention-log.jsonl"
    generator = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        start, seen, sums = time.time(), 0, {"loss": 0.0, "ce": 0.0, "area": 0.0, "smoothness": 0.0}
        for images, _ in batches(train, batch_size, shuffle=True, generator=generator):
            images = augment(images, generator)
            terms = attention_step_loss(model, images, loss_weights)
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            schedule.step()
            seen += len(images)
            for k in sums:
                sums[k] += terms[k].item() * len(images)
            if seen % (batch_size * 20) == 0:
                log({"epoch": epoch, "seen": seen, **{k: round(v / seen, 4) for k, v in sums.items()},
                     "img_per_s": round(seen / (time.time() - start), 1)}, None)
        event = {"epoch": epoch, **{k: round(v / seen, 4) for k, v in sums.items()},
                 "seconds": round(time.time() - start, 1)}
        history.append(event)
        log(event, log_file)
        torch.save({"backbone": backbone, "model": model.state_dict(), "epoch": epoch}, out / "attention.pt")
    return {"backbone": backbone, "weights": weights, "epochs": epochs, "seed": seed, "lr": lr,
            "batch_size": batch_size, "history": history}


def attention_step_loss(model: ExplainedClassifier, images: torch.Tensor,
                        loss_weights: LossWeights = LossWeights()) -> dict[str, torch.Tensor]:
    """One T-TAME training step's loss terms for a batch of raw [0,1] images."""
    with torch.no_grad():
        features, logits = model.backbone(model.standardize(images))
    predicted = logits.argmax(1)  # model truth: no labels needed
    maps = torch.sigmoid(model.attention(features))
    psi = select_maps(maps, predicted)
    own = maps[torch.arange(len(predicted)), predicted]
    masked_logits = model.backbone(mask_images(images, own, model.family, model.standardize))[1]
    return ttame_loss(masked_logits, predicted, psi, loss_weights)

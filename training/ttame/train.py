"""Training loops: the backbone classifier (where no pretrained one exists) and the T-TAME attention."""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

from .backbones import BackboneSpec, build_classifier, resolve_backbone
from .data import CifarTraining, FolderTraining, batches, load_split
from .hardware import describe_hardware
from .images import ImageFolderData
from .labels import model_labels
from .loss import LossWeights, Masking, at_random_level, mask_images, select_maps, ttame_loss, without_random_top
from .metrics import accuracy
from .model import ExplainedClassifier, Standardize


def cpu_state(model: torch.nn.Module) -> dict:
    """State dict on the CPU, so a checkpoint written on a GPU loads anywhere."""
    return {k: v.cpu() for k, v in model.state_dict().items()}


def log(event: dict, log_file: Path | None) -> None:
    line = json.dumps(event)
    print(line, flush=True)
    if log_file:
        with log_file.open("a") as f:
            f.write(line + "\n")


def training_data(spec: BackboneSpec, data: Path | None, *, labels=(), limit: int | None = None, workers: int = 2):
    """The photos of `data` (any folder tree), or the CIFAR-10 train split when none is given (32 px models)."""
    if data is not None:
        return FolderTraining(ImageFolderData(data, spec.preprocessing, labels, limit=limit), workers)
    if spec.input_size != 32:
        raise ValueError(f"{spec.name} takes {spec.input_size} px images; give a folder of photos with --data DIR")
    train = load_split("train")
    return CifarTraining(train.subset(torch.arange(limit)) if limit else train)


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


def fit(step_loss, data, *, optimizer, epochs: int, batch_size: int, seed: int, log_file: Path,
        after_epoch, device: torch.device) -> list[dict]:
    """The one training loop: `data`'s shuffled batches, augmented its way (data.CifarTraining / FolderTraining) ->
    `step_loss(images, labels)` (a dict of terms with "loss") -> optimiser + OneCycle step, progress lines, and
    `after_epoch(epoch)` (extra fields; checkpointing)."""
    steps = epochs * math.ceil(len(data) / batch_size)
    schedule = one_cycle(optimizer, optimizer.param_groups[0]["lr"], steps, anneal_strategy="linear")
    generator = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        start, seen, sums = time.time(), 0, {}
        for images, labels in data.batches(batch_size, generator):
            terms = step_loss(data.augment(images.to(device), generator), labels.to(device))
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            schedule.step()
            seen += len(labels)
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + value.item() * len(labels)
            if seen % (batch_size * 20) == 0:
                log({"epoch": epoch, "seen": seen, **{k: round(v / seen, 4) for k, v in sums.items()},
                     "img_per_s": round(seen / (time.time() - start), 1)}, None)
        event = {"epoch": epoch, **{k: round(v / seen, 4) for k, v in sums.items()}, **after_epoch(epoch),
                 "seconds": round(time.time() - start, 1)}
        history.append(event)
        log(event, log_file)
    return history


def train_backbone(backbone: str, out: Path, *, epochs: int, batch_size: int, lr: float, weight_decay: float,
                   optimizer: str, label_smoothing: float, seed: int, limit: int | None = None,
                   init: Path | None = None, device: torch.device = torch.device("cpu")) -> dict:
    """Supervised training on the CIFAR-10 train split (validation slice held out); saves out/backbone.pt.
    `init` starts from an earlier run's checkpoint; the summary records it so a pack's provenance is the chain."""
    torch.manual_seed(seed)
    spec = resolve_backbone(backbone)
    train, val = load_split("train"), load_split("val")
    if limit:
        train, val = train.subset(torch.arange(limit)), val.subset(torch.arange(min(limit, len(val))))
    # channels_last: oneDNN's CPU convolutions skip a layout reorder (cifar_resnet ~660 vs ~590 img/s in the logs)
    model = build_classifier(spec, str(init) if init else None, 10).to(device, memory_format=torch.channels_last)
    standardize = Standardize(spec.mean, spec.std).to(device)
    out.mkdir(parents=True, exist_ok=True)

    def step_loss(images, labels):
        model.train()
        logits = model(standardize(images.contiguous(memory_format=torch.channels_last)))
        return {"loss": F.cross_entropy(logits, labels, label_smoothing=label_smoothing)}

    def after_epoch(epoch):
        model.eval()
        torch.save({"model": cpu_state(model), "backbone": backbone, "epoch": epoch}, out / "backbone.pt")
        val_batches = batches(val, 500, shuffle=False)
        return {"val_top1": round(accuracy(lambda x: model(standardize(x)), val_batches, device=device), 4)}

    history = fit(step_loss, CifarTraining(train), optimizer=_optimizer(model.parameters(), optimizer, lr, weight_decay),
                  epochs=epochs, batch_size=batch_size, seed=seed, log_file=out / "backbone-log.jsonl",
                  after_epoch=after_epoch, device=device)
    return {"backbone": backbone, "epochs": epochs, "seed": seed, "init": str(init) if init else None,
            "hardware": describe_hardware(device), "val_top1": history[-1]["val_top1"], "history": history}


def train_attention(backbone: str, weights: str | None, out: Path, *, epochs: int, batch_size: int, lr: float,
                    weight_decay: float, seed: int, loss_weights: LossWeights = LossWeights(),
                    limit: int | None = None, device: torch.device = torch.device("cpu"), data: Path | None = None,
                    labels: list[str] | None = None, workers: int = 2, masking: Masking = Masking(),
                    keep_epochs: bool = False, channel_gates: bool = False) -> dict:
    """T-TAME training on a frozen backbone (III-C3): model truth, mask selection, family-specific masking, SGD +
    OneCycleLR, on `data` (a folder of photos; default CIFAR-10). Saves out/attention.pt holding the backbone
    reference, class labels, and backbone + attention weights: all that `evaluate` and `export` need; with
    `keep_epochs`, each epoch's as out/attention-eN.pt too, to measure the epochs of one schedule. `channel_gates`:
    `TTAME`'s."""
    torch.manual_seed(seed)
    # A random-init classifier (no weights) gets one class per label; trained weights bring their own count.
    model = ExplainedClassifier(backbone, len(labels) if labels and not weights else None, weights, channel_gates)
    labels = model_labels(model.spec, model.num_classes, labels)  # refused before training, not after it
    model = model.to(device).train()
    train = training_data(model.spec, data, limit=limit, workers=workers)
    out.mkdir(parents=True, exist_ok=True)

    def after_epoch(epoch):
        # "epochs", the schedule's length: a kept epoch's checkpoint says it is "2 of 8"
        checkpoint = {"backbone": model.spec.reference, "num_classes": model.num_classes, "labels": labels,
                      "data": train.description, **asdict(masking), "channel_gates": channel_gates, "lr": lr,
                      "batch_size": batch_size, "seed": seed, "loss_weights": asdict(loss_weights),
                      "model": cpu_state(model), "epoch": epoch, "epochs": epochs}
        torch.save(checkpoint, out / "attention.pt")
        if keep_epochs:
            torch.save(checkpoint, out / f"attention-e{epoch}.pt")
        return {}

    optimizer = torch.optim.SGD(model.attention.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    history = fit(lambda images, _: attention_step_loss(model, images, loss_weights, masking),
                  train, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed,
                  log_file=out / "attention-log.jsonl", after_epoch=after_epoch, device=device)
    return {"backbone": model.backbone_name, "weights": weights, "data": train.description,
            "numClasses": model.num_classes, "featureLayers": list(model.feature_layers),
            "channelGates": channel_gates, "epochs": epochs,
            "seed": seed, "lr": lr, "batch_size": batch_size, **masking.summary(), "lossWeights": asdict(loss_weights),
            "hardware": describe_hardware(device), "history": history}


def attention_step_loss(model: ExplainedClassifier, images: torch.Tensor,
                        loss_weights: LossWeights = LossWeights(),
                        masking: Masking = Masking()) -> dict[str, torch.Tensor]:
    """One T-TAME training step's loss terms for a batch of raw [0,1] images, masked as `masking` says. With levels
    > 0 a second masked pass keeps only a random top fraction of each own-class map (`loss.at_random_level`) and adds
    its cross-entropy: the paper's sigmoid saturates over most of a trained map, so its masking trains the edge of one
    region and leaves the order inside it, which AD/IC(15) and ROAD read, untrained. With a removal weight a further
    pass removes a random top fraction (`loss.without_random_top`) and adds the class probability left (or its
    -log(1 - p)): the paper's loss asks only what the top of a map keeps, never what taking it away leaves, which is
    what ROAD's MoRF reads."""
    with torch.no_grad():
        features, logits = model.backbone(model.standardize(images))
    predicted = logits.argmax(1)  # model truth: no labels needed
    fused = model.attention(features)
    maps = torch.sigmoid(fused)
    psi = select_maps(maps, predicted)
    rows = torch.arange(len(predicted), device=predicted.device)
    own = fused[rows, predicted]

    def masked_logits(own_maps: torch.Tensor) -> torch.Tensor:
        return model.backbone(mask_images(images, own_maps, model.family, model.standardize, masking.fill))[1]

    # in this order: the fills' and levels' random draws of the earlier passes stay those of runs without the later
    paper = masked_logits(maps[rows, predicted])
    sharpness = masking.level_sharpness
    cut = (masked_logits(at_random_level(own, masking.levels, masking.levels_from, sharpness))
           if masking.levels > 0 else None)
    removed = (masked_logits(without_random_top(own, sharpness, masking.removes_up_to))
               if loss_weights.removes else None)
    return ttame_loss(paper, predicted, psi, loss_weights, cut, removed)

"""Training data: CIFAR-10 from the shared JPEG tarballs (the built-in default, decoded once into a uint8 cache),
or any folder of photos (`images.ImageFolderData`, streamed). Both are served as shuffled float batches in [0, 1]
with the augmentation that suits them, so the training loop does not know which it has."""
from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image

CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# Dataset statistics of the CIFAR-10 train split (the usual values); standardisation lives in the model.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
VALIDATION_SIZE = 5000
SPLIT_SEED = 20260101

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path(os.environ.get("CIFAR10_DIR", REPO.parent / "shared" / "datasets" / "cifar10"))
CACHE_DIR = Path(os.environ.get("TTAME_CACHE", REPO / "training" / ".cache"))


@dataclass
class ImageSet:
    images: torch.Tensor  # uint8 [N, 32, 32, 3]
    labels: torch.Tensor  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: torch.Tensor) -> "ImageSet":
        return ImageSet(self.images[index], self.labels[index])


def _decode_tarball(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Streams the tarball once (a gzip stream cannot seek), then orders by file name for a stable index."""
    decoded = []
    with tarfile.open(path, "r|gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".jpg"):
                image = Image.open(io.BytesIO(tar.extractfile(member).read())).convert("RGB")
                decoded.append((member.name, np.asarray(image, dtype=np.uint8), CIFAR10_LABELS.index(member.name.split("/")[-2])))
    decoded.sort(key=lambda item: item[0])
    return np.stack([d[1] for d in decoded]), np.asarray([d[2] for d in decoded], dtype=np.int64)


def load_split(split: str, data_dir: Path = DEFAULT_DATA_DIR) -> ImageSet:
    """`split` is train, val (a fixed 5000-image slice of the train tarball) or test."""
    source = "test" if split == "test" else "train"
    cache = CACHE_DIR / f"cifar10-{source}.npz"
    if not cache.exists():
        tarball = data_dir / f"{source}.tar.gz"
        if not tarball.exists():
            raise FileNotFoundError(f"CIFAR-10 not found at {tarball} (set CIFAR10_DIR)")
        images, labels = _decode_tarball(tarball)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, images=images, labels=labels)
    with np.load(cache) as npz:
        full = ImageSet(torch.from_numpy(npz["images"]), torch.from_numpy(npz["labels"]))
    if source == "test":
        return full
    order = torch.randperm(len(full), generator=torch.Generator().manual_seed(SPLIT_SEED))
    return full.subset(order[VALIDATION_SIZE:] if split == "train" else order[:VALIDATION_SIZE])


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 NHWC -> float32 NCHW in [0, 1] (the model pack's input convention)."""
    return images.permute(0, 3, 1, 2).float().div_(255)


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop of the 4-pixel reflect-padded image + horizontal flip, on a float NCHW batch on any device.
    The draws come from the CPU `generator`, so a run's augmentation stream is the same on CPU and GPU."""
    n, _, h, w = batch.shape
    padded = torch.nn.functional.pad(batch, (4, 4, 4, 4), mode="reflect")
    offsets = torch.randint(0, 9, (n, 2), generator=generator).to(batch.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(batch.device)
    # One gather instead of a crop per image; a flipped image reads its columns right to left.
    rows = offsets[:, :1] + torch.arange(h, device=batch.device)
    cols = offsets[:, 1:] + torch.arange(w, device=batch.device)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    return padded[torch.arange(n, device=batch.device)[:, None, None, None],
                  torch.arange(batch.shape[1], device=batch.device)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


def batches(data: ImageSet, batch_size: int, *, shuffle: bool, generator: torch.Generator | None = None):
    order = torch.randperm(len(data), generator=generator) if shuffle else torch.arange(len(data))
    for start in range(0, len(data), batch_size):
        index = order[start : start + batch_size]
        yield to_float(data.images[index]), data.labels[index]


class CifarTraining:
    """CIFAR-10 images held in memory; random crop + flip."""
    description = "CIFAR-10 train split (../shared/datasets/cifar10/train.tar.gz) minus a fixed 5000-image validation slice"

    def __init__(self, data: ImageSet):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return batches(self.data, batch_size, shuffle=True, generator=generator)

    augment = staticmethod(augment)


def flip(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Horizontal flip of half the images: the one augmentation that keeps a photo's serving-time framing."""
    flipped = (torch.rand(len(batch), generator=generator) < 0.5).to(batch.device)
    return torch.where(flipped[:, None, None, None], batch.flip(-1), batch)


class FolderTraining:
    """A folder of photos (images.ImageFolderData), decoded by DataLoader worker processes, batch by batch."""

    def __init__(self, dataset, workers: int):
        self.dataset, self.workers = dataset, workers
        self.description = dataset.describe()

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.Generator().manual_seed(int(torch.randint(2 ** 62, (1,), generator=generator)))
        yield from loader(self.dataset, batch_size, self.workers, shuffle=True, generator=order)

    augment = staticmethod(flip)


def loader(dataset, batch_size: int, workers: int, *, shuffle: bool = False, generator: torch.Generator | None = None):
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                                       num_workers=workers, persistent_workers=False)

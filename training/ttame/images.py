"""A folder of photos as model inputs, preprocessed the way the serving worker does it (src/gpu-worker/decodeImage.ts
and inputGeometry.ts): EXIF orientation applied, embedded colour profile converted to sRGB, transparency on white,
the shorter side resized to R (lengths rounded half up, never below the crop), the centre S x S crop (offsets
rounded down). Read lazily by a torch DataLoader, so a folder of any size streams through worker processes.

Labels, when there are any: a CSV of `path,label` rows (path relative to the folder; label a class name or id),
or the ImageFolder layout (every image in a sub-folder named after its class). Without them the images are
unlabelled (-1): T-TAME trains on the classifier's own predictions, so that is enough to train.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageCms, ImageOps

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
UNLABELLED = -1
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Preprocessing:
    resize_shorter: int
    crop: int

    def plan(self, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(resized width, height), (left, top) of the crop: planInput of the worker, the same rounding."""
        scale = self.resize_shorter / min(width, height)
        resized = (max(self.crop, math.floor(width * scale + 0.5)), max(self.crop, math.floor(height * scale + 0.5)))
        return resized, ((resized[0] - self.crop) // 2, (resized[1] - self.crop) // 2)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """A decoded photo -> float32 [3, S, S] in [0, 1] (the model pack's input convention)."""
        image = displayed(image)
        (width, height), (left, top) = self.plan(*image.size)
        # libvips (the worker's sharp) reduces with Lanczos-3 and enlarges with bicubic interpolation
        enlarging = width > image.size[0] or height > image.size[1]
        image = image.resize((width, height), Image.BICUBIC if enlarging else Image.LANCZOS)
        pixels = np.asarray(image.crop((left, top, left + self.crop, top + self.crop)), dtype=np.uint8)
        return torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div_(255)


def displayed(image: Image.Image) -> Image.Image:
    """The photo as a viewer shows it, 8-bit sRGB: what the worker's `displayedImage` gives sharp to resize."""
    image = ImageOps.exif_transpose(image)
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "CMYK"):
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB,
                                              renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB")
        except ImageCms.PyCMSError:
            pass  # a broken profile: the worker (libvips) warns and keeps the pixels too
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image.convert("RGB")


def list_images(root: Path) -> list[Path]:
    """Every JPEG/PNG/WebP under root, recursively, in a stable order."""
    if not root.is_dir():
        raise FileNotFoundError(f"no image folder at {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise FileNotFoundError(f"no .jpg/.jpeg/.png/.webp files under {root}")
    return files


def class_id(label: str, labels: Sequence[str]) -> int:
    """A label as written in a CSV or a folder name -> its class id (an integer is taken as the id itself)."""
    matches = [i for i, name in enumerate(labels) if name == label]
    if len(matches) == 1:
        return matches[0]
    if label.isdigit() and int(label) < len(labels):
        return int(label)
    raise ValueError(f"label {label!r} " + ("names several classes" if matches else "is not one of the model's labels"))


def folder_labels(root: Path, files: list[Path], labels: Sequence[str], labels_csv: Path | None) -> list[int]:
    """The class id of every file, UNLABELLED where the folder says nothing."""
    if labels_csv:
        with labels_csv.open(newline="") as f:
            rows = {(root / row[0]).resolve(): class_id(row[1].strip(), labels) for row in csv.reader(f)
                    if len(row) >= 2 and row[0] and row[0].lower() != "path"}
        return [rows.get(p.resolve(), UNLABELLED) for p in files]
    parents = {p.parent for p in files}
    if all(p.parent.parent == root for p in files) and len(parents) > 1:  # ImageFolder: root/<class>/<image>
        return [class_id(p.parent.name, labels) for p in files]
    return [UNLABELLED] * len(files)


class ImageFolderData(torch.utils.data.Dataset):
    """Photos of a folder tree as (tensor [3, S, S] in [0, 1], class id or -1), decoded when asked for."""

    def __init__(self, root: Path, preprocessing: Preprocessing, labels: Sequence[str] = (),
                 labels_csv: Path | None = None, limit: int | None = None):
        self.root = Path(root)
        self.files = list_images(self.root)[:limit]
        self.targets = folder_labels(self.root, self.files, labels, labels_csv)
        self.preprocessing = preprocessing

    def __len__(self) -> int:
        return len(self.files)

    @property
    def labelled(self) -> bool:
        return any(t != UNLABELLED for t in self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.files[index]) as image:
            return self.preprocessing(image), self.targets[index]

    def describe(self) -> str:
        labelled = sum(t != UNLABELLED for t in self.targets)
        return f"{len(self)} images under {self.root} ({labelled} labelled)"

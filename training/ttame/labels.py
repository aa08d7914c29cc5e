"""Class labels of a model: a labels file (one label a line; spaces and commas are part of a label), or the
labels its spec knows (CIFAR-10's, ImageNet's) when the class count matches."""
from __future__ import annotations

from pathlib import Path

from .backbones import BackboneSpec


def read_labels(path: Path) -> list[str]:
    labels = path.read_text(encoding="utf-8").splitlines()
    while labels and not labels[-1].strip():
        labels.pop()  # a trailing blank line is the end of the file, not a class
    blank = [i + 1 for i, label in enumerate(labels) if not label.strip()]
    if blank:
        raise ValueError(f"{path}: line {blank[0]} is blank; every line is one class's label")
    return [label.strip() for label in labels]


def model_labels(spec: BackboneSpec, num_classes: int, given: list[str] | None) -> list[str]:
    """The labels that go into the pack: `given` (from --labels) or the spec's, checked against the class count."""
    labels = given if given is not None else list(spec.labels or ())
    if len(labels) != num_classes:
        source = "--labels has" if given is not None else f"{spec.name} knows"
        raise ValueError(f"{source} {len(labels)} labels, but the classifier has {num_classes} classes; "
                         f"pass --labels FILE with one label a line")
    return labels

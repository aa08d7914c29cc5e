"""Training-time augmentation: one batched gather must equal the per-image crop + flip it replaces."""
import torch
import torch.nn.functional as F

from ttame.data import augment


def reference_augment(batch, generator):
    """The definition: crop each 4-pixel reflect-padded image at its drawn offset, then flip the drawn ones."""
    padded = F.pad(batch, (4, 4, 4, 4), mode="reflect")
    offsets = torch.randint(0, 9, (len(batch), 2), generator=generator)
    flip = torch.rand(len(batch), generator=generator) < 0.5
    h, w = batch.shape[-2:]
    crops = [p[:, y : y + h, x : x + w] for p, (y, x) in zip(padded, offsets.tolist())]
    return torch.stack([c.flip(2) if f else c for c, f in zip(crops, flip.tolist())])


def test_augment_crops_and_flips_each_image_as_drawn():
    batch = torch.rand(64, 3, 32, 32)
    out = augment(batch, torch.Generator().manual_seed(3))
    assert torch.equal(out, reference_augment(batch, torch.Generator().manual_seed(3)))
    assert not torch.equal(out, batch)  # the draws did move and flip images


def test_augment_keeps_values_and_shape_of_non_square_images():
    batch = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).view(2, 3, 8, 12)
    out = augment(batch, torch.Generator().manual_seed(0))
    assert out.shape == batch.shape
    assert torch.equal(out, reference_augment(batch, torch.Generator().manual_seed(0)))

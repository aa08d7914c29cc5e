"""A folder of photos as training and evaluation data: listing, labels, and the serving worker's preprocessing."""
import json
import subprocess
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from ttame.images import ImageFolderData, Preprocessing, UNLABELLED, list_images
from ttame.model import load_explained

from conftest import REPO, needs_onnxruntime

SAMPLES = REPO.parent / "shared" / "images" / "imagenet-samples.tar"
WORKER_PIXELS = REPO / "training" / "tools" / "worker_pixels.ts"
needs_samples = pytest.mark.skipif(not SAMPLES.exists(), reason=f"sample photos not found at {SAMPLES}")


def photo(path, size=(40, 30), colour=(200, 30, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def test_lists_photos_recursively_in_a_stable_order(tmp_path):
    for name in ["b/2.png", "a/x/1.jpg", "a/0.JPEG", "c.webp"]:
        photo(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)] == ["a/0.JPEG", "a/x/1.jpg", "b/2.png", "c.webp"]


def test_image_folder_layout_gives_labels_by_name_or_id(tmp_path):
    labels = ["tiger cat", "hen, rooster", "ship"]
    photo(tmp_path / "tiger cat" / "1.jpg")
    photo(tmp_path / "hen, rooster" / "2.jpg")
    photo(tmp_path / "2" / "3.png")  # a folder named by class id
    data = ImageFolderData(tmp_path, Preprocessing(32, 32), labels)
    assert data.targets == [2, 1, 0]  # sorted paths: "2/", "hen, rooster/", "tiger cat/"
    photo(tmp_path / "dog" / "4.jpg")
    with pytest.raises(ValueError, match="'dog' is not one of the model's labels"):
        ImageFolderData(tmp_path, Preprocessing(32, 32), labels)


def test_a_labels_csv_names_classes_with_commas_and_leaves_the_rest_unlabelled(tmp_path):
    for name in ["x/a.jpg", "b.jpg", "c.jpg"]:
        photo(tmp_path / name)
    csv = tmp_path / "labels.csv"
    csv.write_text('path,label\nx/a.jpg,"hen, rooster"\nb.jpg,0\n')
    data = ImageFolderData(tmp_path, Preprocessing(32, 32), ["tiger cat", "hen, rooster"], csv)
    assert data.targets == [0, UNLABELLED, 1]  # b.jpg, c.jpg, x/a.jpg
    assert data.labelled and data[2][1] == 1


def test_flat_folders_are_unlabelled_and_images_are_model_inputs(tmp_path):
    photo(tmp_path / "a.png", size=(60, 40))
    data = ImageFolderData(tmp_path, Preprocessing(36, 32))
    image, label = data[0]
    assert label == UNLABELLED and not data.labelled
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert torch.allclose(image[:, 0, 0], torch.tensor([200, 30, 30]) / 255)


@pytest.mark.parametrize("size, plan", [
    ((500, 375), ((341, 256), (58, 16))),   # 500 * 256 / 375 = 341.33
    ((375, 500), ((256, 341), (16, 58))),
    ((301, 200), ((385, 256), (80, 16))),   # 385.28: enlarged
    ((3, 2), ((384, 256), (80, 16))),       # 384.0 exactly
    ((999, 2), ((127872, 256), (63824, 16))),
    ((200, 261), ((256, 334), (16, 55))),   # 334.08
])
def test_the_crop_plan_is_the_workers(size, plan):
    """planInput in src/shared/inputGeometry.ts: lengths rounded half up, never below the crop; offsets floored."""
    assert Preprocessing(256, 224).plan(*size) == plan


def test_transparency_becomes_white_as_in_the_worker(tmp_path):
    Image.new("RGBA", (32, 32), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    image, _ = ImageFolderData(tmp_path, Preprocessing(32, 32))[0]
    assert torch.equal(image, torch.ones(3, 32, 32))


@pytest.fixture(scope="module")
def sample_photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    with tarfile.open(SAMPLES) as tar:
        tar.extractall(folder)
    return list_images(folder)


def worker_pixels(files, resize_shorter: int, crop: int, tmp_path) -> torch.Tensor:
    """The worker's own decodeImage (sharp) on the same files."""
    out = tmp_path / f"worker-{crop}.bin"
    request = {"files": [str(f) for f in files], "resizeShorter": resize_shorter, "crop": crop, "out": str(out)}
    subprocess.run(["node", str(REPO / "node_modules" / "tsx" / "dist" / "cli.mjs"), str(WORKER_PIXELS)],
                   input=json.dumps(request), text=True, check=True, cwd=REPO)
    return torch.from_numpy(np.fromfile(out, dtype=np.float32).reshape(len(files), 3, crop, crop))


@needs_samples
@needs_onnxruntime
def test_training_tensors_match_the_workers_on_real_photographs(sample_photos, tmp_path):
    """All 500 sample photographs (sizes 60..1377 px on the shorter side), through our preprocessing (PIL) and the
    worker's (sharp/libvips). Measured on the dev machine: at 224 px (R = 256) mean |diff| 0.0034, 99th percentile
    0.063 (16/255), the largest differences on the 33 photos smaller than the crop, which both sides enlarge with
    bicubic interpolation placed differently. At 32 px (R = 32, 10-40x reduction, where libvips decodes JPEGs at 1/8
    scale first) mean 0.023, p99 0.165, and the trained CIFAR-10 packs give the same top-1 class on 89 % (CNN) and
    86 % (ViT) of the photos: the 32-px figures are the worst case (every output pixel averages 100+ input pixels)."""
    pre = Preprocessing(256, 224)
    ours = torch.stack([pre(Image.open(f)) for f in sample_photos])
    diff = (ours - worker_pixels(sample_photos, 256, 224, tmp_path)).abs()
    assert diff.mean() < 0.005
    assert diff.flatten().kthvalue(int(0.99 * diff.numel())).values < 0.08

    small = Preprocessing(32, 32)
    ours32 = torch.stack([small(Image.open(f)) for f in sample_photos])
    theirs32 = worker_pixels(sample_photos, 32, 32, tmp_path)
    assert (ours32 - theirs32).abs().mean() < 0.03
    for checkpoint, agreement in [("cifar10-cnn", 0.86), ("cifar10-vit", 0.83)]:
        model = load_explained(REPO / "training" / "checkpoints" / f"{checkpoint}.pt")
        with torch.no_grad():
            same = (model.classify(ours32).argmax(1) == model.classify(theirs32).argmax(1)).float().mean()
        assert same >= agreement, checkpoint

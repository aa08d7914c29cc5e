"""`evaluate` on a few test images with the committed CNN: per-image results, and methods added to stored ones."""
import json
import shlex
from dataclasses import fields

import numpy as np
import pytest
from PIL import Image

from ttame.data import DEFAULT_DATA_DIR
from ttame.evaluate import attention_record, evaluate, rerun_sanity
from ttame.loss import LossWeights, Masking
from ttame.metrics import METRICS
from ttame.model import load_checkpoint
from ttame.report import section

from conftest import REPO

CHECKPOINT = REPO / "training" / "checkpoints" / "cifar10-cnn.pt"
pytestmark = pytest.mark.skipif(not (DEFAULT_DATA_DIR / "test.tar.gz").exists(), reason="CIFAR-10 test split not found")


def run(out, methods, images=6, update=False, split="test"):
    return evaluate(CHECKPOINT, out, images=images, methods=methods, rise_images=None, rise_masks=10,
                    command=f"evaluate {','.join(methods)}", update=update, split=split)


def test_methods_are_added_to_stored_results_of_the_same_images(tmp_path):
    out = tmp_path / "results.json"
    first = run(out, ["frame", "ttame"])
    assert list(first["methods"]) == ["ttame", "frame"]
    assert all(len(first["methods"]["ttame"]["perImage"][m]) == 6 for m in METRICS)
    curves = first["methods"]["ttame"]["roadByLevel"]  # the means behind MoRF and LeRF, level by level
    assert [len(curves[k]) for k in ("MoRF", "LeRF")] == [9, 9]
    assert np.mean(curves["MoRF"]) == pytest.approx(first["methods"]["ttame"]["MoRF"], abs=0.01)
    out.write_text(json.dumps(first | {"attention": first["attention"] | {"epochs": 3}}))  # as if another T-TAME's row
    run(out, ["centre"], update=True)
    stored = json.loads(out.read_text())
    assert stored["attention"]["epochs"] == 3  # the record follows the T-TAME row, which was not measured again
    assert list(stored["methods"]) == ["ttame", "centre", "frame"]
    assert stored["methods"]["ttame"] == first["methods"]["ttame"] and stored["sanity"] == first["sanity"]
    assert stored["commands"] == ["evaluate frame,ttame", "evaluate centre"]
    run(out, ["centre"], update=True)  # measured again: the same step, listed once
    assert json.loads(out.read_text())["commands"] == ["evaluate frame,ttame", "evaluate centre"]
    with pytest.raises(ValueError, match="other images"):
        run(out, ["centre"], images=5, update=True)


def test_sanity_is_rerun_on_the_evaluations_own_images_and_on_further_sets_of_its_sample(tmp_path):
    out = tmp_path / "results.json"
    first = run(out, ["frame"], split="val")
    assert rerun_sanity(CHECKPOINT, out)["sanity"] == first["sanity"]  # the validation images, not the test split's
    checked = rerun_sanity(CHECKPOINT, out, sets=3)
    assert checked["sanity"] == checked["sanitySets"][0] == first["sanity"] and len(checked["sanitySets"]) == 3
    assert checked["sanitySets"][1] != checked["sanitySets"][0]  # images 6-11 of the sample: another draw
    low, high = (f(s["backbone:all"] for s in checked["sanitySets"]) for f in (min, max))
    assert "Over 3 disjoint sets of as many images of the same sample (these and the next 2): " in section(checked)
    assert f"backbone:all: {low:.3f} to {high:.3f}" in section(checked)
    assert "sanitySets" not in run(out, ["ttame"], update=True, split="val")  # they were another attention's
    out.write_text(json.dumps(first | {"targets": [(t + 1) % 10 for t in first["targets"]]}))
    with pytest.raises(ValueError, match="other images or another classifier"):
        rerun_sanity(CHECKPOINT, out)


def test_sanity_is_rerun_on_the_photos_of_the_folder_an_evaluation_read(tmp_path):
    folder, out = tmp_path / "photos", tmp_path / "results.json"
    (folder / "cat").mkdir(parents=True)
    for i in range(8):
        noise = np.random.default_rng(i).integers(0, 256, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(noise).save(folder / "cat" / f"{i}.png")
    first = evaluate(CHECKPOINT, out, images=8, methods=["frame"], rise_images=None, rise_masks=10, command="evaluate",
                     data=folder, workers=0)
    assert first["data"] == f"the photos of {folder}" and first["images"] == 8
    assert rerun_sanity(CHECKPOINT, out)["sanity"] == first["sanity"]


def test_the_commands_are_the_steps_behind_the_results_as_they_stand(tmp_path):
    out = tmp_path / "results.json"
    run(out, ["frame", "centre"])
    run(out, ["random"], update=True)
    run(out, ["frame"], update=True)  # "centre" still stands on the first step
    assert json.loads(out.read_text())["commands"] == ["evaluate frame,centre", "evaluate random", "evaluate frame"]
    run(out, ["centre"], update=True)  # now no row does
    stored = json.loads(out.read_text())
    assert stored["commands"] == ["evaluate random", "evaluate frame", "evaluate centre"]
    assert {k: row["command"] for k, row in stored["methods"].items()} == {
        "random": "evaluate random", "centre": "evaluate centre", "frame": "evaluate frame"}
    run(out, ["random"], update=True)  # a stored step run again becomes the latest
    assert json.loads(out.read_text())["commands"] == ["evaluate frame", "evaluate centre", "evaluate random"]
    stored = json.loads(out.read_text())
    del stored["methods"]["frame"]["command"]
    out.write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="which command measured each row"):
        run(out, ["centre"], update=True)


def test_the_committed_checkpoint_records_how_the_pack_says_its_attention_was_trained():
    """The report's heading comes from the checkpoint's record; the pack's manifest lists the command that trained it.
    They must agree, whatever the pack's version."""
    manifest = json.loads((REPO / "models" / "cifar10-cnn" / "manifest.json").read_text())
    argv = shlex.split(next(c for c in manifest["training"]["commands"] if " train-attention " in c))

    def option(name: str, default: float | str | None = None, kind=float):
        return kind(argv[argv.index(name) + 1]) if name in argv else default

    model, record = load_checkpoint(CHECKPOINT)
    attention = attention_record(model, record)
    assert attention["epochs"] == manifest["training"]["epochs"]["attention"] == option("--epochs", kind=int)
    assert attention["fill"] == option("--fill", Masking.fill, str)
    assert attention["lr"] == option("--lr") and attention["levels"] == option("--levels", Masking.levels)
    assert attention["levelsFrom"] == option("--levels-from", Masking.levels_from)
    assert attention["levelSharpness"] == option("--level-sharpness", Masking.level_sharpness)
    assert attention["lossWeights"] == {w.name: option(w.metadata["option"], w.default) for w in fields(LossWeights)}
    assert attention["featureLayers"] == manifest["featureLayers"]

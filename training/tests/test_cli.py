"""The training README's commands: a short CIFAR-10 smoke run, and the scripts/ttame entry point."""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import REPO
from ttame.loss import Masking
from ttame.metrics import METRICS
from ttame.model import load_checkpoint

DATA = REPO.parent / "shared" / "datasets" / "cifar10" / "train.tar.gz"
needs_cifar = pytest.mark.skipif(not DATA.exists(), reason=f"CIFAR-10 not found at {DATA}")


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ttame", *map(str, args)], cwd=cwd, check=True,
                          capture_output=True, text=True)


@needs_cifar
def test_train_backbone_attention_and_export_a_pack(tmp_path):
    cwd = REPO / "training"
    run = tmp_path / "run"
    cli("train-backbone", "--backbone", "cifar_resnet", "--out", run, "--epochs", "1", "--limit", "512", cwd=cwd)
    cli("train-attention", "--backbone", "cifar_resnet", "--weights", run / "backbone.pt", "--out", run,
        "--epochs", "2", "--keep-epochs", "--limit", "256", "--levels", "0.5", "--levels-from", "0.2", "--level-sharpness", "8", "--removal-weight", "0.5",
        "--removal-ce-weight", "0.25",
        "--removes-up-to", "0.6", "--channel-gates",
        "--area-weight", "1", "--seed", "3", cwd=cwd)
    trained = json.loads((run / "train-attention.json").read_text())
    assert trained["levels"] == 0.5 and trained["levelsFrom"] == 0.2 and trained["levelSharpness"] == 8
    assert trained["removesUpTo"] == 0.6 and trained["channelGates"]
    assert "p_removed" in trained["history"][0] and "ce_removed" in trained["history"][0]
    assert trained["lossWeights"] == {"l1": 1.5, "l2": 1.0, "l3": 0.005, "l4": 0.3, "removal": 0.5, "removal_ce": 0.25}
    masking = Masking("black", levels=0.5, levels_from=0.2, level_sharpness=8, removes_up_to=0.6)
    record = torch.load(run / "attention.pt")
    assert Masking.from_record(record) == masking and record["seed"] == 3  # evaluate's report names the seed
    assert load_checkpoint(run / "attention.pt")[0].attention.channel_gates  # rebuilt with the gates it trained
    kept = [torch.load(run / f"attention-e{epoch}.pt") for epoch in (1, 2)]
    assert [checkpoint["epoch"] for checkpoint in kept] == [1, 2] and record["epoch"] == 2
    assert [checkpoint["epochs"] for checkpoint in kept] == [2, 2]  # the schedule each was kept from
    weights = [torch.cat([value.flatten().float() for name, value in checkpoint["model"].items()
                          if name.startswith("attention.")]) for checkpoint in kept]
    assert not torch.equal(*weights)  # each file holds its own epoch's attention
    pack = tmp_path / "pack"
    cli("export", "--checkpoint", run / "attention.pt", "--out", pack, "--id", "smoke-cnn", cwd=cwd)
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["id"] == "smoke-cnn" and manifest["family"] == "cnn"
    assert manifest["mapSize"] == {"width": 16, "height": 16}
    assert manifest["training"]["epochs"] == {"backbone": 1, "attention": 2}
    assert len(manifest["training"]["commands"]) == 3
    assert manifest["training"]["hardware"].endswith("(CPU)")  # the runs record where they trained
    assert 0 <= manifest["metrics"]["top1"] <= 1
    assert (pack / manifest["onnx"]["file"]).exists() and (pack / manifest["classifier"]["file"]).exists()


def ttame(*args, env=None):
    return subprocess.run([str(REPO / "scripts" / "ttame"), *map(str, args)], capture_output=True, text=True,
                          env=env)


def test_the_entry_point_finds_a_python_with_torch_from_any_folder():
    done = ttame("labels", "--backbone", "resnet50")
    assert done.returncode == 0, done.stderr
    labels = done.stdout.splitlines()
    assert len(labels) == 1000 and labels[282] == "tiger cat"


def test_the_entry_point_says_what_to_install_when_no_python_has_torch():
    done = ttame("--help", env={**os.environ, "TTAME_PYTHON": "/nonexistent/python3"})
    assert done.returncode == 127
    assert "no Python here imports torch" in done.stderr and "install-system-deps.sh" in done.stderr


def test_compare_prints_a_verdict_per_metric_and_refuses_results_of_other_images(tmp_path):
    def results(targets, ad15):
        per = {m: [0.0] * len(targets) for m in METRICS} | {"AD15": ad15}
        return {"backbone": "tiny", "data": "CIFAR-10 val", "labels": ["cat", "dog"], "targets": targets,
                "methods": {"ttame": {"images": len(targets), "perImage": per},
                            "scorecam": {"images": len(targets), "perImage": per | {"AD15": [a + 3 for a in ad15]}}}}
    run, stored, other = tmp_path / "run.json", tmp_path / "stored.json", tmp_path / "other.json"
    run.write_text(json.dumps(results([0, 1] * 20, [float(i) for i in range(40)])))
    stored.write_text(json.dumps(results([0, 1] * 20, [float(i) for i in range(40)])))
    other.write_text(json.dumps(results([1, 0] * 20, [float(i) for i in range(40)])))
    done = ttame("compare", run, stored, "--class", "dog")
    assert done.returncode == 0 and "minus stored.json scorecam (dog): better" in done.stdout
    assert "AD15     -3.00 [-3.00, -3.00] better" in done.stdout and "MoRF     +0.00" in done.stdout
    refused = ttame("compare", run, other)
    assert refused.returncode == 2 and "measured on other images" in refused.stderr
    by_class = ttame("compare", run, stored, "--classes")
    assert by_class.returncode == 0 and "| class | images |" in by_class.stdout and "| dog | 20 |" in by_class.stdout
    assert ttame("compare", run, other, "--classes").returncode == 2
    unknown = ttame("compare", run, stored, "--class", "frog")
    assert unknown.returncode == 2 and "no class 'frog' in these results; they have cat, dog" in unknown.stderr
    unknown = ttame("compare", run, stored, "--method", "gradcam")
    assert unknown.returncode == 2 and "no method 'gradcam' in these results; they have ttame, scorecam" in unknown.stderr


def test_train_attention_refuses_a_levels_range_outside_the_map():
    done = ttame("train-attention", "--backbone", "cifar_resnet", "--weights", "none.pt", "--out", "none",
                 "--levels", "0.5", "--levels-from", "0.7")
    assert done.returncode == 2 and "need 0 <= from < levels < 1" in done.stderr


@needs_cifar
def test_sanity_refuses_more_image_sets_than_the_split_holds(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"images": 2000, "data": "CIFAR-10 test", "targets": [], "methods": {}}))
    checkpoint = REPO / "training" / "checkpoints" / "cifar10-cnn.pt"
    none = ttame("sanity", "--checkpoint", checkpoint, "--results", results, "--sets", "0")
    assert none.returncode == 2 and "--sets must be at least 1" in none.stderr
    too_many = ttame("sanity", "--checkpoint", checkpoint, "--results", results, "--sets", "40")
    assert too_many.returncode == 2 and "40 sets of 256 images need 10240; CIFAR-10 test has 10000" in too_many.stderr

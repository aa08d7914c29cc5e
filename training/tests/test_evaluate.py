"""`evaluate` on a few test images with the committed CNN: per-image results, and methods added to stored ones."""
import json

import pytest

from ttame.data import DEFAULT_DATA_DIR
from ttame.evaluate import evaluate
from ttame.metrics import METRICS

from conftest import REPO

CHECKPOINT = REPO / "training" / "checkpoints" / "cifar10-cnn.pt"
pytestmark = pytest.mark.skipif(not (DEFAULT_DATA_DIR / "test.tar.gz").exists(), reason="CIFAR-10 test split not found")


def run(out, methods, images=6, update=False):
    return evaluate(CHECKPOINT, out, images=images, methods=methods, rise_images=None, rise_masks=10,
                    command=f"evaluate {','.join(methods)}", update=update)


def test_methods_are_added_to_stored_results_of_the_same_images(tmp_path):
    out = tmp_path / "results.json"
    first = run(out, ["frame", "ttame"])
    assert list(first["methods"]) == ["ttame", "frame"]
    # how the committed attention was trained (cifar10-cnn 1.7.0), for the report's heading
    assert first["attention"] == {"fill": "impute:3,black:1", "epochs": 2, "lr": 0.025, "levels": 0.5,
                                  "lossWeights": {"l1": 1.5, "l2": 2.0, "l3": 0.005, "l4": 0.3, "removal": 1.5},
                                  "featureLayers": ["layer1", "layer2", "layer3"]}
    assert all(len(first["methods"]["ttame"]["perImage"][m]) == 6 for m in METRICS)
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

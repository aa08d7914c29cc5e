import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
torch.set_num_threads(2)

REPO = Path(__file__).resolve().parents[2]
ONNX_RUNNER = REPO / "training" / "tools" / "onnx_run.mjs"
needs_onnxruntime = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO / "node_modules" / "onnxruntime-node").exists(),
    reason="needs node and onnxruntime-node (run `npm ci` first)",
)


def run_onnx(model_path, feeds: dict[str, torch.Tensor], outputs: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Runs the graph with onnxruntime-node, the runtime the GPU workers serve it with."""
    with tempfile.TemporaryDirectory() as tmp:
        request = {"model": str(model_path), "outputs": outputs, "feeds": {}}
        for name, tensor in feeds.items():
            kind = "int64" if tensor.dtype == torch.int64 else "float32"
            file = Path(tmp) / name
            file.write_bytes(tensor.to(getattr(torch, kind)).contiguous().numpy().tobytes())
            request["feeds"][name] = {"type": kind, "dims": list(tensor.shape), "file": str(file)}
        done = subprocess.run(["node", str(ONNX_RUNNER)], input=json.dumps(request), capture_output=True,
                              text=True, check=True, cwd=REPO)
    dtype = {"class_ids": torch.int64}
    return {k: torch.tensor(v["data"], dtype=dtype.get(k, torch.float32)).view(*v["dims"])
            for k, v in json.loads(done.stdout).items()}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

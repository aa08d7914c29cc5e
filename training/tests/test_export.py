"""Export parity: the ONNX graph, run by onnxruntime-node, matches PyTorch, at CIFAR scale and at the paper's
(224 px, 1000 classes, random init: ResNet-50's graph is ~100 MB, VGG-16's ~530 MB, ViT-B/16's ~330 MB; all five
export and run in about 50 s on 2 cores)."""
import pytest
import torch

from ttame.attention import min_max
from ttame.export import export_onnx
from ttame.model import ExplainedClassifier

from conftest import needs_onnxruntime, run_onnx

pytestmark = needs_onnxruntime


@pytest.fixture(scope="module", params=["cifar_resnet", "cifar_vit", "cifar_vit+gates", "resnet50", "vgg16",
                                        "vit_b_16"])
def exported(request, tmp_path_factory):
    torch.manual_seed(0)
    backbone, gates = request.param.removesuffix("+gates"), request.param.endswith("+gates")
    model = ExplainedClassifier(backbone, channel_gates=gates).eval()  # random init, the spec's class count
    for p in model.attention.parameters():  # non-trivial BN statistics and weights
        torch.nn.init.normal_(p, 0, 0.2)
    head = [m for m in model.backbone.classifier.modules() if isinstance(m, torch.nn.Linear)][-1]
    if not head.weight.any():  # torchvision's ViT zero-inits its head, and tied logits have no rank order
        torch.nn.init.normal_(head.weight, 0, 0.02)
    out = tmp_path_factory.mktemp(request.param)
    model_path, classifier_path = export_onnx(model, out)
    return model, model_path, classifier_path


def test_onnx_matches_pytorch_with_dynamic_batch_and_classes(exported):
    model, model_path, _ = exported
    size = model.spec.input_size
    images = torch.rand(5, 3, size, size)  # N and K differ from the export-time example
    classes = torch.tensor([[-1, -2, -3, 7], [3, 5, -1, 0], [-10, 9, -4, 2], [0, 0, -1, -1], [-2, 1, 8, -5]])
    out = run_onnx(model_path, {"image": images, "classes": classes})
    with torch.no_grad():
        logits, fused = model(images)
    assert out["logits"].shape == (5, model.num_classes)
    assert torch.allclose(out["logits"], logits, atol=1e-4)
    ranked = logits.argsort(1, descending=True)
    expected_ids = torch.where(classes >= 0, classes, ranked.gather(1, (-classes - 1).clamp(min=0)))
    assert torch.equal(out["class_ids"], expected_ids)
    assert torch.equal(out["class_ids"][0, :3], logits[0].topk(3).indices)  # negative ranks = top-k
    # fuse-before-upsample in the graph == the straightforward fusion(concat(up(A_i))) + min-max of training code
    expected_maps = min_max(fused[torch.arange(5)[:, None], expected_ids])
    assert out["maps"].shape == (5, 4, *model.attention.map_size)
    assert torch.allclose(out["maps"], expected_maps, atol=1e-3)
    assert out["maps"].amin().item() >= 0 and out["maps"].amax().item() <= 1


def test_classifier_graph_matches_the_backbone(exported):
    model, _, classifier_path = exported
    images = torch.rand(3, 3, model.spec.input_size, model.spec.input_size)
    out = run_onnx(classifier_path, {"image": images})
    with torch.no_grad():
        assert torch.allclose(out["logits"], model.classify(images), atol=1e-4)
    assert out["features"].dim() == 4 and out["features"].shape[0] == 3

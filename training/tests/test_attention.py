"""The attention mechanism itself: what a class map at one position can depend on."""
import torch

from ttame.attention import TTAME


def maps_at_a_shared_position(gates: bool) -> torch.Tensor:
    """Two images' features, equal at position (0, 0) and four times larger in the second elsewhere -> both images'
    class maps at (0, 0)."""
    torch.manual_seed(0)
    attention = TTAME([6, 4], num_classes=3, map_size=(4, 4), channel_gates=gates)
    for p in attention.parameters():
        torch.nn.init.normal_(p, 0, 0.5)
    attention.eval()  # BN with its running statistics: per position, like the inference graph
    scale = torch.tensor([1.0, 4.0])[:, None, None, None]
    features = [torch.rand(2, channels, 4, 4) * scale for channels in (6, 4)]
    for f in features:
        f[1, :, 0, 0] = f[0, :, 0, 0]
    with torch.no_grad():
        return attention(features)[:, :, 0, 0]


def test_the_papers_maps_read_each_position_alone():
    at_shared = maps_at_a_shared_position(gates=False)
    assert torch.allclose(at_shared[0], at_shared[1], atol=1e-6)


def test_channel_gates_make_the_channel_weights_depend_on_the_whole_image():
    at_shared = maps_at_a_shared_position(gates=True)
    assert (at_shared[0] - at_shared[1]).abs().max() > 1e-2

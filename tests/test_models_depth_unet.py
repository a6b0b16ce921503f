"""D can fit a small batch: the masked L1 loss falls by more than 10x in 150 Adam steps."""

from __future__ import annotations

import torch

from arc.losses.depth import masked_l1
from arc.models import build_model

STEPS = 150
REQUIRED_FACTOR = 10.0  # observed ~20x on CPU


def test_depth_unet_overfits_one_small_batch():
    torch.manual_seed(0)
    model = build_model("depth_unet", base_width=8, num_downsamples=2, num_inception_blocks=1).train()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 3, 16, 16, generator=g) * 2 - 1
    # a depth map that depends on the image: a smooth ramp plus image brightness
    ramp = torch.linspace(-0.6, 0.6, 16).view(1, 1, 16, 1).expand(4, 1, 16, 16)
    target = (ramp + 0.2 * x.mean(dim=1, keepdim=True)).clamp(-0.9, 0.9)
    valid = torch.rand(4, 1, 16, 16, generator=g) > 0.2
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    first = None
    for _ in range(STEPS):
        loss = masked_l1(model(x), target, valid)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = masked_l1(model(x), target, valid).item()
    assert final * REQUIRED_FACTOR < first, f"L1 fell only from {first:.4f} to {final:.4f}"


def test_shared_prelu_matches_aten_bit_for_bit():
    """arc.models.layers.PReLU's faster CPU backward gives exactly ATen's gradients (NCHW and NHWC)."""
    from arc.models.layers import PReLU

    g = torch.Generator().manual_seed(0)
    for memory_format in (torch.contiguous_format, torch.channels_last):
        x = torch.randn(4, 6, 12, 16, generator=g).contiguous(memory_format=memory_format).requires_grad_()
        grad = torch.randn(4, 6, 12, 16, generator=g).contiguous(memory_format=memory_format)
        ours, reference = PReLU(), torch.nn.PReLU()
        out = ours(x)
        assert torch.equal(out, reference(x))
        expected = torch.autograd.grad(reference(x), (x, reference.weight), grad)
        got = torch.autograd.grad(out, (x, ours.weight), grad)
        assert all(torch.equal(a, b) for a, b in zip(got, expected))


def test_depth_unet_is_channels_last_and_loads_nchw_weights():
    """D keeps NHWC weights; a state_dict written in either layout loads and gives the same output."""
    torch.manual_seed(0)
    model = build_model("depth_unet", base_width=8, num_downsamples=2, num_inception_blocks=1).eval()
    assert model.stem[1].weight.is_contiguous(memory_format=torch.channels_last)
    nchw = {k: v.contiguous() for k, v in model.state_dict().items()}
    twin = build_model("depth_unet", base_width=8, num_downsamples=2, num_inception_blocks=1).eval()
    twin.load_state_dict(nchw)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(model(x), twin(x))

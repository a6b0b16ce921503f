"""CUDA paths (skipped without a GPU): pipeline on device, CPU generator noise, bf16 autocast."""

from __future__ import annotations

import pytest
import torch

from arc.losses.perceptual import gram_matrix
from arc.losses.sparsity import kl_sparsity
from arc.models import ARCPipeline, build_model
from arc.models.gumbel import gumbel_sigmoid

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _pipeline():
    torch.manual_seed(0)
    return ARCPipeline(
        build_model("depth_unet", base_width=8, num_downsamples=3, num_inception_blocks=1),
        attention=build_model("attention_net", base_width=8, num_res_blocks=1),
        translator=build_model("resnet_generator", base_width=8, num_downsamples=2, num_res_blocks=1),
        inpainter=build_model("resnet_generator", base_width=8, num_downsamples=2, num_res_blocks=1),
    )


def test_pipeline_runs_on_cuda_and_matches_cpu_in_eval():
    cpu = _pipeline().eval()
    gpu = _pipeline().cuda().eval()
    x = torch.rand(2, 3, 48, 64) * 2 - 1
    with torch.no_grad():
        out_cpu = cpu(x)
        out_gpu = gpu(x.cuda())
    assert torch.allclose(out_gpu["depth_unit"].cpu(), out_cpu["depth_unit"], atol=1e-3)
    keep = out_gpu["mask"].bool().expand_as(out_gpu["translated"])
    assert torch.equal(out_gpu["inpainted"][keep], out_gpu["translated"][keep])


def test_cpu_generator_drives_cuda_noise_reproducibly():
    logits = torch.zeros(1000, device="cuda")
    a = gumbel_sigmoid(logits, 0.5, generator=torch.Generator().manual_seed(1))
    b = gumbel_sigmoid(logits.cpu(), 0.5, generator=torch.Generator().manual_seed(1))
    assert a.device.type == "cuda" and torch.allclose(a.cpu(), b)


def test_bf16_autocast_training_step_is_finite():
    pipe = _pipeline().cuda().train()
    x = torch.rand(4, 3, 48, 64, device="cuda") * 2 - 1
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = pipe(x, tau=0.05, generator=torch.Generator(device="cuda").manual_seed(0))
        loss = out["depth_unit"].float().abs().mean() + kl_sparsity(out["mask"], 0.85)
        loss = loss + gram_matrix(out["inpainted"]).abs().mean()
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in pipe.parameters() if p.grad is not None)

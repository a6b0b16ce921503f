"""VGG features: weights from a user file, clear error when missing, seeded fallback."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.vgg import cfgs, make_layers

from arc.errors import CheckpointError
from arc.models.vgg_features import VGGFeatures


def test_missing_weights_file_names_the_path_and_params_key(tmp_path):
    missing = tmp_path / "vgg16-397923af.pth"
    with pytest.raises(CheckpointError) as info:
        VGGFeatures("vgg16", weights_path=missing)
    message = str(info.value)
    assert str(missing) in message and "models.vgg.weights" in message


@pytest.mark.parametrize("arch,config", [("vgg16", "D"), ("vgg19", "E")])
def test_loads_a_torchvision_style_state_dict(tmp_path, arch, config):
    torch.manual_seed(5)
    full = make_layers(cfgs[config])  # all of torchvision's `features`, as in the real .pth
    state = {f"features.{k}": v for k, v in full.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # extra keys in a full checkpoint are ignored
    path = tmp_path / f"{arch}.pth"
    torch.save(state, path)

    vgg = VGGFeatures(arch, weights_path=path)
    assert vgg.pretrained is True
    for key, value in vgg.features.state_dict().items():
        assert torch.equal(value, state[f"features.{key}"])
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    # same result as running torchvision's layers by hand on ImageNet-normalised input
    h = ((x + 1) / 2 - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    last_tap = vgg.taps[-1]
    with torch.no_grad():
        expected = full[: last_tap + 1](h)
        assert torch.allclose(vgg(x)[-1], expected, atol=1e-5)


def test_wrong_state_dict_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "bad.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="features"):
        VGGFeatures("vgg16", weights_path=path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="could not be read"):
        VGGFeatures("vgg16", weights_path=path)


def test_random_fallback_is_seeded_frozen_and_leaves_global_rng_alone():
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    a = VGGFeatures("vgg16", seed=3)
    after = torch.rand(1)
    assert torch.equal(before, after)  # building the fallback did not consume global randomness
    b = VGGFeatures("vgg16", seed=3)
    c = VGGFeatures("vgg16", seed=4)
    assert a.pretrained is False
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.features[0].weight, c.features[0].weight)
    assert not any(p.requires_grad for p in a.parameters())
    a.train()
    assert not a.training


def test_unknown_arch_is_rejected():
    with pytest.raises(CheckpointError, match="vgg11"):
        VGGFeatures("vgg11")

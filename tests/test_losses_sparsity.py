"""KL sparsity term (ARC eq. 2) against hand-computed values; rho validation."""

from __future__ import annotations

import math

import pytest
import torch

from arc.errors import ConfigError
from arc.losses.sparsity import check_rho, kl_sparsity


def test_kl_matches_hand_computed_values():
    # keep rate m = 0.5, rho = 0.85:
    # 0.85 ln(0.85/0.5) + 0.15 ln(0.15/0.5) = 0.85*0.530628 + 0.15*(-1.203973) = 0.270438
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert kl_sparsity(mask, 0.85).item() == pytest.approx(0.270438, abs=1e-5)
    # m = 0.75 over a batch of two images (0.5 and 1.0), rho = 0.9:
    # 0.9 ln(0.9/0.75) + 0.1 ln(0.1/0.25) = 0.164089 - 0.091629 = 0.072460
    batch = torch.stack([torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])])
    assert kl_sparsity(batch, 0.9).item() == pytest.approx(0.072460, abs=1e-5)


def test_kl_is_zero_at_target_and_pushes_keep_rate_towards_rho():
    assert kl_sparsity(torch.full((4, 1, 5, 5), 0.85), 0.85).item() == pytest.approx(0.0, abs=1e-6)
    mask = torch.full((2, 1, 4, 4), 0.5, requires_grad=True)
    kl_sparsity(mask, 0.85).backward()
    assert (mask.grad < 0).all()  # descending the loss raises the keep rate towards 0.85


def test_kl_stays_finite_for_all_kept_or_all_removed_masks():
    for value in (0.0, 1.0):
        mask = torch.full((2, 1, 4, 4), value, requires_grad=True)
        loss = kl_sparsity(mask, 0.85)
        assert torch.isfinite(loss) and loss.item() > 0
        loss.backward()
        assert torch.isfinite(mask.grad).all()


@pytest.mark.parametrize("bad", [0, 1, 1.0, -0.1, 1.5, float("nan"), "0.8", None, True])
def test_rho_out_of_range_is_a_config_error_naming_the_key(bad):
    with pytest.raises(ConfigError, match="rho_sweep"):
        check_rho(bad, key="rho_sweep")
    with pytest.raises(ConfigError, match="rho"):
        kl_sparsity(torch.ones(2, 2), bad)


def test_valid_rho_passes_through():
    assert check_rho(0.99999) == 0.99999
    assert math.isclose(check_rho(0.85), 0.85)

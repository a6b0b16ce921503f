"""A's evaluation-mask rule travels with its weights and is read without touching the tensor."""

import pytest
import torch

from arc.models.attention import AttentionNet
from arc.models.authors.generator import AuthorsAttention
from arc.models.gumbel import evaluation_mask


@pytest.mark.parametrize("cls", [AttentionNet, AuthorsAttention])
def test_the_keep_fraction_rule_survives_a_state_dict_round_trip_and_drives_the_mask(cls):
    torch.manual_seed(0)
    net = cls(base_width=4, num_res_blocks=1)
    net.set_test_keep_fraction(0.75)
    fresh = cls(base_width=4, num_res_blocks=1)
    assert fresh.keep_fraction_rule() is None
    fresh.load_state_dict(net.state_dict())
    assert fresh.keep_fraction_rule() == pytest.approx(0.75)

    logits = torch.randn(2, 1, 8, 8)
    keep = evaluation_mask(fresh, logits)
    assert keep.flatten(1).mean(1).tolist() == [0.75, 0.75]

    # A checkpoint written before the rule was recorded loads with the threshold rule.
    legacy = {k: v for k, v in net.state_dict().items() if k != "test_keep_fraction"}
    fresh.load_state_dict(legacy)
    assert fresh.keep_fraction_rule() is None
    assert torch.equal(evaluation_mask(fresh, logits), (logits >= 0).float())


def test_the_mask_rule_is_not_read_from_the_buffer_each_step(monkeypatch):
    net = AttentionNet(base_width=4, num_res_blocks=1)
    net.set_test_keep_fraction(0.5)

    def no_sync(*args, **kwargs):
        raise AssertionError("evaluation_mask read a tensor's value on the host")

    monkeypatch.setattr(torch.Tensor, "__bool__", no_sync)
    monkeypatch.setattr(torch.Tensor, "__float__", no_sync)
    monkeypatch.setattr(torch.Tensor, "item", no_sync)
    keep = evaluation_mask(net, torch.randn(1, 1, 4, 4))
    monkeypatch.undo()
    assert keep.sum().item() == 8

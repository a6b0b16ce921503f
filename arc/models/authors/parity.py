"""One run of a network as the output parity fixture records it, the same for the authors'
networks (tools/authors_parity/make_output_fixture.py) and ours (tests/test_models_authors.py).

``record_run``: the eval-mode outputs, one train-mode forward (BatchNorm on batch statistics),
then one SGD step on the sum of mean(output ** 2) and the eval-mode outputs after it (so the
gradients and the running statistics that step leaves are checked through the outputs).
Optionally the outputs of some inner modules (D's head convs: the values before tanh).
``output_summary`` reduces a tensor to what the fixture stores.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn as nn

SUMMARY_STATS = ("mean", "std", "min", "max", "mean_abs")
NOT_THEIRS = ("test_keep_fraction",)  # ours only (A's test-mask rule): no part of any forward


def seeded_input(shape: Sequence[int], seed: int, with_mask: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images in [-1, 1) from torch.Generator().manual_seed(seed + 1), then (the global-local
    discriminator's) a B x 1 x H x W mask: that generator's next draw > 0.5."""
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand(tuple(shape), generator=gen) * 2 - 1
    mask = (torch.rand((shape[0], 1, *shape[2:]), generator=gen) > 0.5).float() if with_mask else None
    return x, mask


def state_sum(net: nn.Module) -> float:
    """The sum of the floating state tensors the authors' network has too (a shared module
    counted under each of its keys): a check that both sides were filled alike."""
    return float(sum(t.double().sum() for k, t in net.state_dict().items() if t.is_floating_point() and k not in NOT_THEIRS))


def record_run(net: nn.Module, forward: Callable[[nn.Module], list[torch.Tensor]], lr: float,
               inner: Sequence[str] = ()) -> dict[str, list[torch.Tensor]]:
    """{"eval", "train", "after_step"} -> output lists, plus "eval_inner" and "train_inner"
    (the outputs of the submodules named in ``inner``, in that order) when ``inner`` is given."""
    seen: list[torch.Tensor] = []
    hooks = [net.get_submodule(name).register_forward_hook(lambda _m, _i, out: seen.append(out.detach())) for name in inner]
    recorded: dict[str, list[torch.Tensor]] = {}
    net.eval()
    with torch.no_grad():
        recorded["eval"] = forward(net)
    recorded["eval_inner"], seen[:] = list(seen), []
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    out = forward(net)
    recorded["train"] = [o.detach() for o in out]
    recorded["train_inner"], seen[:] = list(seen), []
    opt.zero_grad()
    sum((o ** 2).mean() for o in out).backward()
    opt.step()
    for hook in hooks:
        hook.remove()
    net.eval()
    with torch.no_grad():
        recorded["after_step"] = forward(net)
    if not inner:
        del recorded["eval_inner"], recorded["train_inner"]
    return recorded


def output_summary(output: torch.Tensor, samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A small stand-in for a network output: ``samples`` values at evenly spaced positions of
    the flattened tensor (all of them when it is smaller) and its SUMMARY_STATS over every
    element (summed in float64, returned as float32)."""
    flat = output.detach().reshape(-1)
    positions = torch.linspace(0, flat.numel() - 1, min(samples, flat.numel())).round().long()
    wide = flat.double()
    stats = torch.stack([wide.mean(), wide.std(correction=0), wide.min(), wide.max(), wide.abs().mean()])
    return flat[positions].float(), stats.float()

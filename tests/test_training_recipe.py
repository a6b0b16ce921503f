"""The authors' training recipe (arc.training.recipe, the cyclegan attention objective, the joint
stage with I in the loop, the combined fine-tune): losses on tiny tensors, then 1-epoch stages."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn as nn

from arc.errors import ConfigError
from arc.losses.adversarial import GANLoss
from arc.models.gumbel import gumbel_sigmoid
from arc.training import checkpoint as ckpt
from arc.training.optim import LRSchedule, make_adam
from arc.training.recipe import depth_pair, flip_batch, stage_optim, steps_per_epoch
from arc.training.rows import plan_row
from arc.training.stages import attention, attention_cyclegan, depth, finetune, inpainting, joint, translator
from conftest_training import make_tiny_cache, tiny_params


# --- settings and losses on tiny tensors ---------------------------------------------------


def test_gumbel_noise_keeps_one_minus_1_over_e_at_logit_0():
    g = torch.Generator().manual_seed(0)
    logits = torch.zeros(200_000)
    keep_gumbel = (gumbel_sigmoid(logits, 1e-3, generator=g, noise="gumbel") > 0.5).float().mean().item()
    keep_logistic = (gumbel_sigmoid(logits, 1e-3, generator=g) > 0.5).float().mean().item()
    assert abs(keep_gumbel - (1 - math.exp(-1))) < 0.005  # P(G > 0) = 1 - exp(-exp(0))
    assert abs(keep_logistic - 0.5) < 0.005
    with pytest.raises(ValueError, match="noise"):
        gumbel_sigmoid(logits, 0.5, noise="normal")


def test_authors_schedule_and_stage_lr():
    sched = LRSchedule("authors_code", 10)
    assert [sched.factor(s) for s in (0, 5, 6, 8, 10)] == [1.0, 1.0, 1.0, 0.5, 0.0]
    optim = {"schedule": "authors_code", "lr": 1e-4, "lr_discriminator": 1e-4, "batch_size": 4, "stage_lr": {"translator": 5e-5}}
    adam = make_adam(nn.Linear(2, 2).parameters(), stage_optim({"optim": optim}, "translator"), discriminator=True)
    assert adam.defaults["lr"] == 5e-5 and adam.defaults["betas"] == (0.5, 0.999)
    assert stage_optim({"optim": optim}, "depth")["lr"] == 1e-4
    with pytest.raises(ConfigError, match="optim.stage_lr.depth"):
        stage_optim({"optim": {**optim, "stage_lr": {"depth": -1}}}, "depth")


def test_epoch_length_real_or_synthetic():
    counts = {"syn": 50, "real": 9}
    assert steps_per_epoch({"training": {}}, counts, 4) == 13
    assert steps_per_epoch({"training": {"epoch": "real"}}, counts, 4) == 3
    with pytest.raises(ConfigError, match="training.epoch"):
        steps_per_epoch({"training": {"epoch": "both"}}, counts, 4)


def test_flip_moves_rgb_depth_valid_together():
    rgb = torch.arange(2 * 3 * 2 * 3, dtype=torch.float32).view(2, 3, 2, 3)
    batch = {"rgb": rgb, "depth": rgb[:, :1] * 2, "valid": rgb[:, :1] > 5, "index": torch.tensor([0, 1])}
    flipped_any = set()
    for seed in range(8):
        out = flip_batch(batch, torch.Generator().manual_seed(seed))
        for i, f in enumerate(out["flipped"].tolist()):
            ref = rgb[i].flip(-1) if f else rgb[i]
            assert torch.equal(out["rgb"][i], ref)
            assert torch.equal(out["depth"][i], ref[:1] * 2) and torch.equal(out["valid"][i], ref[:1] > 5)
            flipped_any.add(f)
        assert torch.equal(out["index"], batch["index"])
    assert flipped_any == {True, False}


def test_separate_bn_passes_change_running_stats():
    torch.manual_seed(0)
    real, syn = torch.randn(4, 3, 4, 4), torch.randn(4, 3, 4, 4) * 3 + 5
    stats = {}
    for mode in ("mixed", "separate"):
        bn = nn.BatchNorm2d(3, momentum=1.0)  # running stats = the last batch's
        pr, ps = depth_pair(bn, real, syn, mode)
        assert pr.shape == ps.shape == real.shape
        stats[mode] = bn.running_mean.clone()
    assert torch.allclose(stats["mixed"], torch.cat([real, syn]).mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(stats["separate"], syn.mean(dim=(0, 2, 3)), atol=1e-5)  # the last pass


class _Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return self.k * x


def test_masked_cyclegan_terms_by_hand():
    # G_r2s = 2x, G_s2r = 0.5x, discriminators = mean -> every term computable by hand
    nets = {"cyclegan_r2s": _Scale(2.0), "cyclegan_s2r": _Scale(0.5),
            "cyclegan_disc_syn": _Scale(0.0), "cyclegan_disc_real": _Scale(0.0)}
    x_r, x_s = torch.full((1, 3, 2, 2), 0.4), torch.full((1, 3, 2, 2), 0.2)
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]]).view(1, 1, 2, 2)
    fakes, losses = attention_cyclegan.generator_losses(nets, GANLoss("bce"), mask, x_r, x_s)
    assert torch.allclose(fakes["syn"], 2 * mask * x_r)
    # real cycle: kept pixels return exactly (0.5 * 2 * 0.4); removed pixels are not scored
    assert losses["cycle"].item() == pytest.approx(0.0, abs=1e-7)
    assert losses["identity"].item() == pytest.approx(0.2 + 0.2)  # |0.5*0.4-0.4| + |2*0.2-0.2|
    assert losses["gan_r2s"].item() == pytest.approx(math.log(2))  # bce(0, 1)
    mask0 = torch.zeros_like(mask)
    _, losses0 = attention_cyclegan.generator_losses({**nets, "cyclegan_s2r": _Scale(1.0)}, GANLoss("bce"), mask0, x_r, x_s)
    assert losses0["cycle"].item() == pytest.approx(0.2)  # only the synthetic cycle |2*0.2 - 0.2|


# --- stages on a tiny cache ------------------------------------------------------------------


def _authors(params: dict) -> dict:
    p = copy.deepcopy(params)
    p["training"].update(epoch="real", flip=True, bn_passes="separate")
    p["training"]["attention"].update(objective="cyclegan", rho=0.99, mask_noise="gumbel", lambda_adversarial=0.0)
    p["training"]["joint"].update(lambda_adversarial=1e-3)
    p["training"]["finetune"].update(loss="combined", epochs=1)
    p["optim"].update(schedule="authors_code", stage_lr={"translator": 5e-5, "attention": 5e-5})
    p["rows"]["arc_full_authors"] = {"label": "ARC (authors)", "depth_source": "mix", "modules": ["A", "T", "I"],
                                     "stages": ["depth", "translator", "attention", "inpainting", "joint", "finetune"]}
    return p


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("recipe")
    return make_tiny_cache(root / "cache"), root / "runs", _authors(tiny_params())


def test_authors_row_plan_puts_joint_after_inpainting(runs):
    _, _, params = runs
    steps = {s.stage: s for s in plan_row(params, "arc_full_authors")}
    assert steps["joint"].name == "joint_ti-rho0.85" or steps["joint"].name.startswith("joint_ti-")
    assert steps["joint"].needs == {"depth": "mix", "attention": steps["attention"].name, "translator": "translator",
                                    "inpainter": steps["inpainting"].name}
    assert steps["finetune"].needs["depth"] == steps["joint"].name == steps["finetune"].needs["attention"]


def test_authors_stages_train_save_and_resume(runs):
    cache, root, params = runs
    common = dict(data_dir=cache, seed=0)
    d = depth.run(params, out_dir=root / "mix", source="mix", **common)
    assert d["steps"] == 2  # training.epoch: real -> ceil(6 real / batch 4), not ceil(8 syn / 4)
    translator.run(params, out_dir=root / "translator", **common)
    tr = root / "translator" / "checkpoint.pt"
    a = attention.run(params, out_dir=root / "att", depth=root / "mix" / "checkpoint.pt", translator=tr, **common)
    assert a["objective"] == "cyclegan" and a["kl_rho"] == 0.99 and a["mask_noise"] == "gumbel"
    rows = (root / "att" / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert {"cycle", "identity", "kl", "disc"} <= set(header) and "depth_real" not in header
    assert all(math.isfinite(float(v)) for v in rows[1].split(",")[header.index("total")].split())
    # only A (plus the fixed D and T the later stages pair it with) is kept, not the fresh CycleGAN
    saved = ckpt.read_checkpoint(root / "att" / "checkpoint.pt")["modules"]
    assert "attention" in saved and not any(k.startswith("cyclegan") for k in saved)
    inpainting.run(params, out_dir=root / "inp", attention=root / "att" / "checkpoint.pt", translator=tr, **common)
    j = joint.run(params, out_dir=root / "joint", depth=root / "mix" / "checkpoint.pt", attention=root / "att" / "checkpoint.pt",
                  translator=tr, inpainter=root / "inp" / "checkpoint.pt", **common)
    log = (root / "joint" / "log.csv").read_text().splitlines()[0].split(",")
    assert j["inpainted"] and {"adversarial", "disc", "depth_syn"} <= set(log)
    f = finetune.run(params, out_dir=root / "ft", row="arc_full_authors", depth=root / "joint" / "checkpoint.pt",
                     attention=root / "joint" / "checkpoint.pt", translator=tr, inpainter=root / "inp" / "checkpoint.pt", **common)
    assert f["epochs"] == 1 and f["loss"] == "combined"
    assert "depth_translated" in (root / "ft" / "log.csv").read_text().splitlines()[0]
    assert math.isfinite(f["last_epoch_losses"]["total"])
    again = finetune.run(params, out_dir=root / "ft", row="arc_full_authors", depth=root / "joint" / "checkpoint.pt",
                         attention=root / "joint" / "checkpoint.pt", translator=tr, inpainter=root / "inp" / "checkpoint.pt", **common)
    assert again["resumed_from_epoch"] == 1 and again["val"] == f["val"]
    assert json.loads((root / "ft" / "summary.json").read_text())["loss"] == "combined"


def test_bad_recipe_settings_name_the_key(runs):
    cache, root, params = runs
    bad = copy.deepcopy(params)
    bad["training"]["attention"]["objective"] = "gan"
    with pytest.raises(ConfigError, match="training.attention.objective"):
        attention.run(bad, data_dir=cache, seed=0, out_dir=root / "bad", depth=root / "mix" / "checkpoint.pt")
    bad = copy.deepcopy(params)
    del bad["training"]["finetune"]["epochs"]
    with pytest.raises(ConfigError, match="training.finetune.epochs"):
        finetune.run(bad, data_dir=cache, seed=0, out_dir=root / "bad", row="mix_ft", depth=root / "mix" / "checkpoint.pt")


def test_alternating_finetune_runs_with_flips(runs, monkeypatch):
    # eq. 15 reuses x~_r computed once per epoch on unflipped images; a flipped batch must get it flipped
    cache, root, params = runs
    p = copy.deepcopy(params)
    p["training"]["finetune"]["loss"] = "alternate"
    seen = []
    real_l1 = finetune.depth_l1

    def spy(pred, batch, max_depth, *valid_only):
        if "flipped" in batch and bool(batch["flipped"].any()):
            seen.append(True)
        return real_l1(pred, batch, max_depth, *valid_only)

    monkeypatch.setattr(finetune, "depth_l1", spy)
    if not (root / "mix" / "checkpoint.pt").is_file():  # run alone (-k)
        depth.run(params, data_dir=cache, seed=0, out_dir=root / "mix", source="mix")
    s = finetune.run(p, data_dir=cache, seed=0, out_dir=root / "ft_alt", row="mix_ft", depth=root / "mix" / "checkpoint.pt")
    assert s["epochs"] == 2 and seen and math.isfinite(s["last_epoch_losses"]["total"])


def test_combined_fine_tuning_weighs_real_images_alike_in_rows_without_a(runs):
    """Without A, x~ = T(x): the middle term is still computed (its own pass of D), so every row has the
    rows with A's three terms (otherwise those rows got a term the control did not)."""
    cache, root, _ = runs
    params = tiny_params()
    params["training"]["finetune"].update(loss="combined", epochs=1)
    common = dict(data_dir=cache, seed=0)
    depth.run(params, out_dir=root / "mix_plain", source="mix", **common)
    finetune.run(params, out_dir=root / "mix_ft_combined", row="mix_ft", depth=root / "mix_plain" / "checkpoint.pt", **common)
    lines = (root / "mix_ft_combined" / "log.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert {"depth_real", "depth_translated", "depth_syn", "total"} <= set(header)
    for line in lines[1:]:
        v = dict(zip(header, line.split(",")))
        real, translated, syn, total = (float(v[k]) for k in ("depth_real", "depth_translated", "depth_syn", "total"))
        # x~ = T(x) = x here: the same images, but the middle term is its own real-only pass of D,
        # so its BatchNorm statistics (and the loss) differ from the mixed real + synthetic pass
        assert math.isfinite(translated) and translated != real
        assert total == pytest.approx(real + translated + syn, rel=1e-5)

"""Reference outputs of the authors' networks at paper width, and of D away from tanh
saturation, for tests/test_models_authors.py.

Usage: python tools/authors_parity/make_output_fixture.py AUTHORS_REPO OUT_FILE
  AUTHORS_REPO: a local checkout of github.com/yunhan-zhao/ARC (measured at 13add94), e.g.
    git -C <mirror> archive HEAD | tar -x -C /tmp/authors_arc
  OUT_FILE: e.g. tests/fixtures/authors_parity_outputs.npz

Why a second fixture: make_fixtures.py runs every network at width 4 with N(0, 0.1) weights,
where D's tanh outputs are saturated (|out| = 1 on three of its four scales), so equal outputs
there say little about D. Here every network is built by their code (make_fixtures.build_theirs)
at base width 64, the paper's (plus D at width 4), filled with fan-in scaled seeded weights
(arc.models.authors.state_mapping.fill_fan_in_seeded_; the tanh heads, D's four and T/I's
last conv, at gain 0.2 / 0.3 so that train mode, where BatchNorm feeds them unit-variance
features, stays well inside tanh's range too: max |out| <= 0.78 everywhere), and run on a
seeded input (arc.models.authors.parity.seeded_input). Recorded by
arc.models.authors.parity.record_run, the same code the test runs on ours: the eval-mode
outputs, one train-mode forward (batch statistics), and the eval-mode outputs after one SGD
step (lr LR) on the sum of mean(output ** 2); for D also the values before tanh of its four
heads in eval and train mode ("eval_inner", "train_inner"). Each output is stored as a summary
(output_summary: SAMPLES evenly spaced values and mean, std, min, max, mean |x|), float32, so
the file stays in kilobytes; no weights and no inputs (both are rebuilt from the seeds), only
their sums, as a check that the test rebuilt the same ones.

Inputs: D at 96x96 (the smallest square their reflection padding accepts: the dilation-5 convs
of the bottleneck need maps of 6 pixels at 1/16), A and T/I at 32x48, the PatchGAN at 96x128
(a 4x6 map), the global-local discriminator at 240x320, the paper's size, where their fc1 of
10880 inputs needs no patch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from arc.models.authors.parity import output_summary, record_run, seeded_input, state_sum  # noqa: E402
from arc.models.authors.state_mapping import fill_fan_in_seeded_  # noqa: E402
from make_fixtures import build_theirs, outputs  # noqa: E402

SAMPLES = 64  # values kept per output tensor
LR = 0.01
# heads whose tanh input is pulled inside its range (train mode feeds them unit-variance features)
DEPTH_HEAD_GAINS = {"output1.": 0.2, "output2.": 0.2, "output3.": 0.2, "output4.": 0.2}
GENERATOR_HEAD_GAINS = {"decoder.3.": 0.3}
CASES = {  # case: (role, base width, input shape, gains by state_dict key prefix)
    "depth_w4": ("depth", 4, (2, 3, 96, 96), DEPTH_HEAD_GAINS),
    "depth": ("depth", 64, (2, 3, 96, 96), DEPTH_HEAD_GAINS),
    "attention": ("attention", 64, (2, 3, 32, 48), {}),
    "generator": ("generator", 64, (2, 3, 32, 48), GENERATOR_HEAD_GAINS),
    "patch_discriminator": ("patch_discriminator", 64, (2, 3, 96, 128), {}),
    "inpaint_discriminator": ("inpaint_discriminator", 64, (2, 3, 240, 320), {}),
}
DEPTH_HEADS = ("output4", "output3", "output2", "output1")  # coarsest first, as the outputs


def record(case: str, seed: int) -> tuple[dict, dict[str, np.ndarray]]:
    role, width, shape, gains = CASES[case]
    torch.manual_seed(seed)
    net = build_theirs(role, width, shape)
    fill_fan_in_seeded_(net, seed, gains)
    filled_sum = state_sum(net)
    x, mask = seeded_input(shape, seed, role == "inpaint_discriminator")
    inner = [f"{head}.model.1" for head in DEPTH_HEADS] if role == "depth" else []
    recorded = record_run(net, lambda n: outputs(n, role, x, mask), LR, inner)
    arrays, shapes = {}, {}
    for kind, tensors in recorded.items():
        shapes[kind] = [list(t.shape) for t in tensors]
        summaries = [output_summary(t, SAMPLES) for t in tensors]  # the discriminators' outputs are smaller
        arrays[f"{case}/{kind}/samples"] = torch.cat([sample for sample, _ in summaries]).numpy()
        arrays[f"{case}/{kind}/stats"] = torch.stack([stats for _, stats in summaries]).numpy()
    meta = {"role": role, "width": width, "input_shape": list(shape), "seed": seed, "gains": gains, "lr": LR,
            "inner": inner, "input_sum": float(x.double().sum()), "state_sum": filled_sum, "shapes": shapes}
    return meta, arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("authors_repo", type=Path)
    ap.add_argument("out_file", type=Path)
    args = ap.parse_args()
    if not (args.authors_repo / "models" / "depth_generator_networks.py").is_file():
        sys.exit(f"{args.authors_repo}: not a checkout of yunhan-zhao/ARC (no models/depth_generator_networks.py)")
    sys.path.insert(0, str(args.authors_repo.resolve()))
    torch.set_num_threads(1)
    metas, arrays = {}, {}
    for seed, case in enumerate(CASES, start=200):
        metas[case], case_arrays = record(case, seed)
        arrays.update(case_arrays)
        print(case, "max |out|:", {kind: [round(float(max(-row[2], row[3])), 3) for row in arrays[f"{case}/{kind}/stats"]]
                                   for kind in metas[case]["shapes"]})
    arrays["meta"] = np.array(json.dumps({"samples": SAMPLES, "cases": metas}, sort_keys=True))
    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_name(args.out_file.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(args.out_file)
    print(f"wrote {args.out_file} ({args.out_file.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

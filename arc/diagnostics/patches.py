"""Which local appearance changes move a fixed D's depth? Patch interventions on clutter-free twins.

The diagnostic behind the choice of light pools as clutter (docs/findings-synthrooms.md). For each
twin image one random 12x16 patch is changed (black, white, mid-grey, darker x0.4, brighter x2,
another image's content, upside down, neon stripes); reported: the mean |change of log depth|
inside / outside the patch and the RMS-log error inside / outside.
"""

from __future__ import annotations

import numpy as np
import torch

from arc.diagnostics.depth_error import rms_log

PATCH_KINDS = ("black", "white", "gray", "darker", "brighter", "other_img", "upside", "neon_stripes")
PATCH_HEIGHT, PATCH_WIDTH = 12, 16
NEON_A, NEON_B = np.array([255, 20, 140.0]), np.array([20, 230, 230.0])


def patch_positions(n: int, height: int, width: int, seed: int = 0) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    # the third draw (an image index) is kept so that the positions are those of the published runs
    return [(int(rng.integers(0, height - PATCH_HEIGHT)), int(rng.integers(0, width - PATCH_WIDTH)),
             int(rng.integers(0, n)))[:2] for _ in range(n)]


def patch_region(n: int, height: int, width: int, positions) -> np.ndarray:
    inside = np.zeros((n, height, width), bool)
    for i, (y, x) in enumerate(positions):
        inside[i, y:y + PATCH_HEIGHT, x:x + PATCH_WIDTH] = True
    return inside


def patched(images: np.ndarray, positions, kind: str) -> np.ndarray:
    """A float copy of (N, H, W, 3) images (0-255) with each image's patch changed by ``kind``."""
    if kind not in PATCH_KINDS:
        raise ValueError(f"patch kind {kind!r}: expected one of {PATCH_KINDS}")
    out = images.astype(np.float32).copy()
    n = len(out)
    for i, (y, x) in enumerate(positions):
        p = out[i, y:y + PATCH_HEIGHT, x:x + PATCH_WIDTH]
        if kind == "black":
            p[:] = 0
        elif kind == "white":
            p[:] = 255
        elif kind == "gray":
            p[:] = 127.5
        elif kind == "darker":
            p *= 0.4
        elif kind == "brighter":
            p[:] = np.minimum(255, p * 2.0)
        elif kind == "other_img":
            p[:] = images[(i + 1) % n, y:y + PATCH_HEIGHT, x:x + PATCH_WIDTH]
        elif kind == "upside":
            p[:] = p[::-1].copy()
        else:
            stripes = (np.arange(PATCH_WIDTH)[None, :, None] // 2) % 2 == 0
            p[:] = np.where(stripes, NEON_A, NEON_B)
    return out


def patch_sensitivity(depth, twin: np.ndarray, gt: np.ndarray, max_depth: float, *, seed: int = 0) -> dict:
    """``base``: RMS-log inside / outside the patches; per kind: mean |dlog| and RMS-log inside / outside."""
    from arc.data.transforms import rgb_to_tensor, unit_to_depth

    n, height, width, _ = twin.shape
    positions = patch_positions(n, height, width, seed)
    inside = patch_region(n, height, width, positions)

    def predict(images: np.ndarray) -> np.ndarray:
        x = torch.stack([rgb_to_tensor(im.astype(np.uint8)) for im in images])
        with torch.no_grad():
            return unit_to_depth(depth(x), max_depth)[:, 0].numpy()

    base = predict(twin.astype(np.float32))
    out = {"base": {"err_in": rms_log(base, gt, inside), "err_out": rms_log(base, gt, ~inside)}, "kinds": {}}
    for kind in PATCH_KINDS:
        pred = predict(patched(twin, positions, kind))
        dlog = np.abs(np.log(pred) - np.log(base))
        out["kinds"][kind] = {"dlog_in": float(dlog[inside].mean()), "dlog_out": float(dlog[~inside].mean()),
                              "err_in": rms_log(pred, gt, inside), "err_out": rms_log(pred, gt, ~inside)}
    return out


def format_sensitivity(result: dict, label: str) -> str:
    b = result["base"]
    lines = [f"{label} base err in {b['err_in']:.3f} out {b['err_out']:.3f}"]
    for kind, r in result["kinds"].items():
        lines.append(f"  {kind:12s} |dlog| in {r['dlog_in']:.3f} out {r['dlog_out']:.3f} | err in {r['err_in']:.3f} "
                     f"out {r['err_out']:.3f}")
    return "\n".join(lines)

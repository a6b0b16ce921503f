"""Poster and picture content with misleading perspective (cf. the paper's Fig. 1 poster).

A poster is flat (its depth is the wall's), but what it shows mimics exactly the
cues a depth net learns from SynthRooms: most often a photograph of another room
(a SynthRooms view rendered in the synthetic domain, so a net trained on synthetic
rooms reads a deep room where there is a flat wall), else converging lines and
brightness that falls towards a vanishing point (a painted tunnel), a checkerboard
floor receding to a horizon, or high-contrast stripes. Every photograph shows a
different room, so a few real training images cannot teach a net all of them.
Content is evaluated on the poster's local coordinates (s, r) in [-1, 1]^2.
"""

from __future__ import annotations

import numpy as np

VIVID = [
    (0.95, 0.2, 0.15), (0.1, 0.35, 0.9), (0.95, 0.8, 0.1), (0.1, 0.7, 0.3),
    (0.9, 0.9, 0.9), (0.05, 0.05, 0.05), (0.6, 0.1, 0.7), (0.1, 0.8, 0.85),
]
POSTER_KINDS = ("photo", "tunnel", "checker_floor", "stripes")
POSTER_KIND_P = (0.6, 0.2, 0.12, 0.08)
PHOTO_SIZE = (24, 32)  # (height, width) of a photograph's own rendering; the poster samples it


def room_photo(seed: int) -> np.ndarray:
    """(H, W, 3) albedo in [0, 1]: a synthetic-domain SynthRooms view (the picture on the poster)."""
    from arc.data.synthrooms.sample import render_sample  # sample -> clutter -> posters: import at use

    return render_sample("indoor", "synthetic", seed, *PHOTO_SIZE).rgb.astype(np.float64) / 255.0


def sample_poster(rng: np.random.Generator) -> dict:
    colours = rng.choice(len(VIVID), size=4, replace=False)
    kind = POSTER_KINDS[int(rng.choice(len(POSTER_KINDS), p=POSTER_KIND_P))]
    return {
        "kind": kind,
        "photo": room_photo(int(rng.integers(2**31))) if kind == "photo" else None,
        "vanish": (float(rng.uniform(-0.4, 0.4)), float(rng.uniform(-0.3, 0.4))),
        "freq": float(rng.uniform(3.0, 7.0)),
        "angle": float(rng.uniform(0, np.pi)),
        "colours": [VIVID[int(c)] for c in colours],
        "frame": float(rng.uniform(0.04, 0.1)) if rng.random() < 0.7 else 0.0,
    }


def poster_albedo(poster: dict, s: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(N, 3) albedo of a poster at local coordinates s (across) and r (up)."""
    c = [np.asarray(x) for x in poster["colours"]]
    kind, freq = poster["kind"], poster["freq"]
    vs, vr = poster["vanish"]
    if kind == "photo":
        photo = poster["photo"]
        h, w = photo.shape[:2]
        col = np.clip(((s + 1.0) * 0.5 * w).astype(int), 0, w - 1)
        row = np.clip(((1.0 - r) * 0.5 * h).astype(int), 0, h - 1)  # r points up, image rows down
        out = photo[row, col]
    elif kind == "tunnel":
        ds, dr = s - vs, r - vr
        m = np.maximum(np.abs(ds), np.abs(dr)) + 1e-3
        z = 1.0 / m  # distance along a square tunnel whose cross-section projects to |.|-squares
        side = np.where(np.abs(ds) > np.abs(dr), np.where(ds > 0, 0, 1), np.where(dr > 0, 2, 3))
        base = np.stack(c)[side]
        rings = (np.floor(z * freq * 0.25) % 2 == 0)
        shade = 1.0 / (1.0 + (z / 4.0) ** 2)  # the renderer's falloff, painted on
        out = base * np.where(rings, 1.0, 0.45)[:, None] * shade[:, None]
    elif kind == "checker_floor":
        below = r < vr
        z = 1.0 / np.maximum(vr - r, 1e-3)
        x = (s - vs) * z
        check = (np.floor(x * 1.5) + np.floor(z * freq * 0.5)) % 2 == 0
        floor = np.where(check[:, None], c[0], c[1]) / (1.0 + (z / 5.0) ** 2)[:, None]
        sky = c[2] * (0.6 + 0.4 * np.clip(r - vr, 0, 1))[:, None]
        out = np.where(below[:, None], floor, sky)
    else:  # stripes: high-contrast diagonal bands
        ca, sa = np.cos(poster["angle"]), np.sin(poster["angle"])
        band = (np.floor(freq * (ca * s + sa * r)) % 2 == 0)
        out = np.where(band[:, None], c[0], c[1])
    frame = poster["frame"]
    if frame > 0:
        edge = (np.abs(s) > 1 - 2 * frame) | (np.abs(r) > 1 - 2 * frame)
        out = np.where(edge[:, None], c[3] * 0.6, out)
    return np.clip(out, 0.0, 1.0)

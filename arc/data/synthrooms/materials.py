"""Materials: the per-domain palettes and the procedural textures of SynthRooms.

The synthetic domain uses flat colours from a cool, muted palette. The real
domain draws the same surface roles from a different (warmer, more varied)
palette and adds procedural textures (wood grain, plaster/asphalt noise,
facade windows). Clutter materials (``clutter=True``) are only ever created by
``clutter.py`` for the real domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Linear-RGB albedo choices per role class. Picked per scene, then jittered.
SYN_PALETTE = {
    "floor": [(0.45, 0.45, 0.48), (0.36, 0.39, 0.43), (0.52, 0.48, 0.44)],
    "wall": [(0.70, 0.75, 0.80), (0.64, 0.72, 0.68), (0.76, 0.76, 0.72), (0.60, 0.66, 0.78)],
    "ceiling": [(0.86, 0.86, 0.88)],
    "furniture": [(0.30, 0.45, 0.60), (0.55, 0.36, 0.30), (0.40, 0.55, 0.40), (0.60, 0.60, 0.60), (0.28, 0.28, 0.34)],
    "door": [(0.50, 0.40, 0.32), (0.62, 0.62, 0.66)],
    "window": [(0.90, 0.95, 1.00)],
    "road": [(0.30, 0.30, 0.32), (0.36, 0.36, 0.38)],
    "sidewalk": [(0.52, 0.52, 0.52), (0.58, 0.55, 0.52)],
    "marking": [(0.90, 0.90, 0.90)],
    "facade": [(0.70, 0.60, 0.50), (0.60, 0.65, 0.70), (0.75, 0.72, 0.60), (0.55, 0.55, 0.58), (0.66, 0.50, 0.45)],
    "car": [(0.70, 0.10, 0.10), (0.20, 0.30, 0.60), (0.80, 0.80, 0.80), (0.15, 0.15, 0.17), (0.45, 0.45, 0.48)],
    "car_window": [(0.12, 0.14, 0.18)],
}
REAL_PALETTE = {
    "floor": [(0.45, 0.30, 0.18), (0.55, 0.40, 0.25), (0.36, 0.26, 0.18), (0.42, 0.37, 0.32)],
    "wall": [(0.80, 0.74, 0.60), (0.75, 0.70, 0.60), (0.70, 0.64, 0.54), (0.82, 0.80, 0.74), (0.66, 0.62, 0.58)],
    "ceiling": [(0.86, 0.83, 0.76)],
    "furniture": [(0.40, 0.25, 0.15), (0.16, 0.16, 0.18), (0.60, 0.55, 0.45), (0.36, 0.30, 0.40), (0.50, 0.22, 0.15)],
    "door": [(0.42, 0.28, 0.18), (0.80, 0.78, 0.72)],
    "window": [(0.95, 0.92, 0.85)],
    "road": [(0.22, 0.21, 0.20), (0.28, 0.26, 0.24)],
    "sidewalk": [(0.55, 0.50, 0.45), (0.48, 0.46, 0.44)],
    "marking": [(0.85, 0.82, 0.70)],
    "facade": [(0.65, 0.50, 0.38), (0.55, 0.52, 0.48), (0.78, 0.70, 0.55), (0.45, 0.40, 0.36), (0.70, 0.62, 0.58)],
    "car": [(0.55, 0.12, 0.10), (0.18, 0.24, 0.40), (0.75, 0.74, 0.70), (0.10, 0.10, 0.11), (0.40, 0.38, 0.36)],
    "car_window": [(0.08, 0.09, 0.10)],
}
# Real-domain textures per role class: (kind, amplitude range, spatial frequency range in cycles/m).
REAL_TEXTURES = {
    "floor": ("grain", (0.15, 0.3), (3.0, 6.0)),
    "wall": ("noise", (0.05, 0.12), (2.0, 5.0)),
    "ceiling": ("noise", (0.03, 0.06), (2.0, 4.0)),
    "furniture": ("grain", (0.1, 0.25), (4.0, 8.0)),
    "door": ("grain", (0.1, 0.2), (4.0, 6.0)),
    "road": ("noise", (0.15, 0.3), (3.0, 8.0)),
    "sidewalk": ("noise", (0.1, 0.2), (1.5, 3.0)),
    "facade": ("windows", (0.45, 0.6), (0.3, 0.45)),
    "car": ("noise", (0.05, 0.1), (2.0, 4.0)),
}
SPECULAR_CLASSES = {"window", "car_window"}  # glass: Kinect returns nothing


@dataclass(frozen=True)
class Material:
    albedo: tuple[float, float, float]
    texture: str = "flat"  # flat | grain | noise | stripes | windows | poster
    tex_amp: float = 0.0
    tex_freq: float = 1.0  # cycles per metre (per poster width for posters)
    tex_seed: int = 0
    tex_angle: float = 0.0
    specular: bool = False  # no Kinect return (glass, screens)
    emissive: float = 0.0  # 0 = lit by the scene light; 1 = self-lit (ignores light and fog)
    spotlight: float = 0.0  # extra irradiance from a light the synthetic scenes never have (light pools)
    spot_look: "SpotLook | None" = None  # colour and pattern of that light (None: a plain warm-white spot)
    clutter: bool = False
    poster: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SpotLook:
    """Colour and pattern of a spot's light (clutter looks above level 1: blinds, tinted, dappled).

    The pattern fields are named as a Material's, so ``texture_factor`` reads them."""

    colour: tuple[float, float, float]
    texture: str = "flat"
    tex_amp: float = 0.0
    tex_freq: float = 1.0
    tex_seed: int = 0
    tex_angle: float = 0.0


def role_class(role: str) -> str:
    return role.split(":", 1)[0]


def _pick(rng: np.random.Generator, palette: dict, cls: str, jitter: float) -> tuple[float, float, float]:
    options = palette[cls]
    base = np.asarray(options[int(rng.integers(len(options)))])
    return tuple(np.clip(base * rng.uniform(1 - jitter, 1 + jitter, 3), 0.02, 1.0))


def assign_materials(roles: list[str], domain: str, rng: np.random.Generator) -> dict[str, Material]:
    """Draw a material for every scene role. Roles of one class share a base colour except
    furniture/facade/car (one colour each) and an optional accent wall."""
    palette = SYN_PALETTE if domain == "synthetic" else REAL_PALETTE
    shared: dict[str, tuple] = {}
    materials: dict[str, Material] = {}
    accent_wall = rng.random() < 0.25
    for role in sorted(set(roles)):
        cls = role_class(role)
        base_cls = "furniture" if cls == "furniture_top" else cls
        individual = base_cls in ("furniture", "facade", "car") or (cls == "wall" and accent_wall and role == "wall:far")
        if individual:
            key = role.replace("furniture_top", "furniture")
            if key not in shared:
                shared[key] = _pick(rng, palette, base_cls, 0.15)
            albedo = shared[key]
        else:
            if base_cls not in shared:
                shared[base_cls] = _pick(rng, palette, base_cls, 0.08)
            albedo = shared[base_cls]
        if cls == "furniture_top" and rng.random() < 0.3:  # cushions, cloths
            albedo = _pick(rng, palette, "furniture", 0.2)
        materials[role] = _material(cls if cls != "furniture_top" else "furniture", albedo, domain, rng)
    return materials


def _material(cls: str, albedo, domain: str, rng: np.random.Generator) -> Material:
    specular = cls in SPECULAR_CLASSES
    emissive = 0.6 if cls == "window" else 0.0
    if domain == "synthetic" or cls not in REAL_TEXTURES:
        return Material(albedo, specular=specular, emissive=emissive)
    kind, (a0, a1), (f0, f1) = REAL_TEXTURES[cls]
    return Material(
        albedo, texture=kind, tex_amp=rng.uniform(a0, a1), tex_freq=rng.uniform(f0, f1),
        tex_seed=int(rng.integers(2**31)), tex_angle=rng.uniform(0, np.pi),
        specular=specular, emissive=emissive,
    )


# ----------------------------------------------------------------------------------------
# Procedural textures. Each returns a multiplicative factor around 1 for points given by
# tangent coordinates (u, v) in metres.


def _hash01(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    h = (ix.astype(np.int64) * 73856093) ^ (iy.astype(np.int64) * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    h = h ^ (h >> 16)
    return (h & 0xFFFF).astype(np.float64) / 65535.0


def value_noise(u: np.ndarray, v: np.ndarray, freq: float, seed: int) -> np.ndarray:
    """Smooth lattice noise in [0, 1] with about ``freq`` features per metre."""
    x, y = u * freq, v * freq
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    c00 = _hash01(x0, y0, seed)
    c10 = _hash01(x0 + 1, y0, seed)
    c01 = _hash01(x0, y0 + 1, seed)
    c11 = _hash01(x0 + 1, y0 + 1, seed)
    return (c00 * (1 - fx) + c10 * fx) * (1 - fy) + (c01 * (1 - fx) + c11 * fx) * fy


def texture_factor(material: Material, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    kind, amp, f = material.texture, material.tex_amp, material.tex_freq
    if kind == "flat":
        return np.ones_like(u)
    if kind == "noise":
        n = 0.65 * value_noise(u, v, f, material.tex_seed) + 0.35 * value_noise(u, v, 3.1 * f, material.tex_seed + 1)
        return 1.0 + amp * (2.0 * n - 1.0)
    if kind == "grain":  # wood: stretched sinusoid warped by noise, plus board seams
        ca, sa = np.cos(material.tex_angle), np.sin(material.tex_angle)
        along, across = ca * u + sa * v, -sa * u + ca * v
        warp = value_noise(along * 0.3, across, 2.0, material.tex_seed)
        grain = np.sin(2 * np.pi * (f * across + 1.5 * warp))
        seams = (np.mod(across * 4.0, 1.0) < 0.08).astype(np.float64)
        return 1.0 + amp * (0.7 * grain - 0.8 * seams)
    if kind == "stripes":  # high-contrast square wave (clutter objects)
        ca, sa = np.cos(material.tex_angle), np.sin(material.tex_angle)
        phase = np.mod(f * (ca * u + sa * v), 1.0)
        return np.where(phase < 0.5, 1.0 + amp, 1.0 - amp)
    if kind == "windows":  # facade: a grid of dark window panes (f = windows per metre)
        cell_u, cell_v = np.mod(u * f, 1.0), np.mod(v * f * 0.9, 1.0)
        pane = (cell_u > 0.25) & (cell_u < 0.75) & (cell_v > 0.3) & (cell_v < 0.8) & (v > 1.0)
        return np.where(pane, 1.0 - amp, 1.0) * (1.0 + 0.08 * (value_noise(u, v, 1.5, material.tex_seed) - 0.5))
    raise ValueError(f"unknown texture kind {kind!r}")

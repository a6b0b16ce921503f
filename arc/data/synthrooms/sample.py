"""One SynthRooms sample: scene -> (clutter) -> shading -> camera finish -> sensor depth.

The sample seed is split into independent streams (geometry, materials,
clutter, photometry, sensor), so the same seed gives the same geometry in both
domains and a real image and its clutter-free twin share every random choice
except the clutter itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from arc.data.synthrooms.clutter import (DEFAULT_CLUTTER_LOOKS, DEFAULT_CLUTTER_STRENGTH, ClutterDial, add_clutter,
                                         dilate, kind_code)
from arc.data.synthrooms.geometry import NO_HIT, HitBuffer
from arc.data.synthrooms.materials import assign_materials, role_class
from arc.data.synthrooms.render import (
    SKY_ROLE, albedo_map, finish, material_flags, resolve_surfaces, sample_photometry, shade,
)
from arc.data.synthrooms.scenes import Scene, sample_scene
from arc.data.synthrooms.sensors import (
    kinect_depth, lidar_depth, lidar_eligible, lidar_keep_probability, sample_sensor_fields,
)

DOMAINS = ("synthetic", "real")


@dataclass
class Sample:
    rgb: np.ndarray  # uint8 (H, W, 3)
    depth: np.ndarray  # float32 (H, W) metres, 0 = invalid
    clutter_mask: np.ndarray | None = None  # uint8 (H, W), 1 = clutter (real only)
    clean_rgb: np.ndarray | None = None
    clean_depth: np.ndarray | None = None
    clutter_kind: np.ndarray | None = None  # uint8 (H, W), clutter.CLUTTER_KINDS code, 0 = none (real only)
    info: dict = field(default_factory=dict)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    # New streams go at the end: child i of a SeedSequence does not depend on how many are spawned.
    names = ("geometry", "materials", "clutter", "photometry", "sensor", "clutter_look")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {n: np.random.default_rng(c) for n, c in zip(names, children)}


def _scene_roles(scene: Scene) -> list[str]:
    return [r for roles in scene.face_roles for r in roles] + [d.role for d in scene.decals]


def render_sample(family: str, domain: str, seed: int, height: int, width: int,
                  clutter_strength: float = DEFAULT_CLUTTER_STRENGTH,
                  clutter_looks: int = DEFAULT_CLUTTER_LOOKS) -> Sample:
    """``clutter_strength``, ``clutter_looks``: the premise-strength dial of the real domain's clutter
    (clutter.ClutterDial)."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {DOMAINS}")
    rng = _streams(seed)
    scene = sample_scene(family, rng["geometry"], height, width)
    origin, dirs = scene.camera.world_rays()
    clean = HitBuffer(origin, dirs)
    clean.add_all(scene.primitives)
    materials = assign_materials(_scene_roles(scene), domain, rng["materials"])
    photo = sample_photometry(family, domain, rng["photometry"])
    noise = rng["photometry"].standard_normal((height * width, 3))
    fields = sample_sensor_fields(height, width, rng["sensor"])
    clean_surfaces = resolve_surfaces(scene, clean)

    if domain == "synthetic":
        rgb = finish(shade(scene, clean, clean_surfaces, materials, photo), height, width, photo, noise)
        depth = _dense_depth(scene, clean)
        return Sample(rgb, depth, info={"valid_fraction": float((depth > 0).mean()), "clutter_items": []})

    sampler = add_clutter(scene, clean, clean_surfaces, rng["clutter"], materials,
                          ClutterDial(clutter_strength, clutter_looks), rng["clutter_look"])
    cluttered = dataclasses.replace(
        scene,
        primitives=scene.primitives + [p for p, _ in sampler.extra_prims],
        face_roles=scene.face_roles + [(role,) * 6 for _, role in sampler.extra_prims],
        decals=scene.decals + [d for item in sampler.items for d in item.decals],
    )
    all_materials = dict(materials)
    for item in sampler.items:
        all_materials.update(item.materials)
    real_surfaces = resolve_surfaces(cluttered, sampler.buffer)

    views = {}
    for name, sc, buf, surf in (("real", cluttered, sampler.buffer, real_surfaces), ("clean", scene, clean, clean_surfaces)):
        albedo = albedo_map(surf, all_materials)
        rgb = finish(shade(sc, buf, surf, all_materials, photo, albedo), height, width, photo, noise)
        views[name] = (rgb, buf, surf, albedo)

    if family == "indoor":
        depths = {}
        for name, (_, buf, surf, albedo) in views.items():
            luma = albedo @ np.array([0.299, 0.587, 0.114])
            # Printed posters reflect IR like the wall they hang on: only their paper counts.
            luma[surf.mask_of(lambda r: role_class(r) == "poster")] = 1.0
            specular = material_flags(surf, all_materials, "specular") > 0
            depths[name] = kinect_depth(_dense_depth(scene, buf), luma.reshape(height, width),
                                        specular.reshape(height, width), fields)
    else:
        clean_elig = lidar_eligible(*_lidar_inputs(scene, clean))
        keep = lidar_keep_probability(clean_elig, fields)
        depths = {name: lidar_depth(*_lidar_inputs(scene, buf), fields, keep) for name, (_, buf, _, _) in views.items()}

    raw = material_flags(real_surfaces, all_materials, "clutter") > 0
    mask = dilate(raw, height, width).reshape(height, width).astype(np.uint8)
    kinds = _kind_map(real_surfaces, sampler.items, mask)
    info = {
        "clutter_fraction": float(mask.mean()),
        "clutter_visible_fraction": float(raw.mean()),
        "clutter_items": [item.kind for item in sampler.items],
        "valid_fraction": float((depths["real"] > 0).mean()),
    }
    return Sample(views["real"][0], depths["real"].astype(np.float32), mask, views["clean"][0],
                  depths["clean"].astype(np.float32), kinds, info)


def _kind_map(surfaces, items, mask: np.ndarray) -> np.ndarray:
    """Per-pixel clutter kind code; the one-pixel dilation ring takes its neighbour's kind."""
    height, width = mask.shape
    code_of_role = {role: kind_code(item.kind) for item in items for role in item.materials}
    codes = np.array([code_of_role.get(r, 0) for r in surfaces.roles], dtype=np.uint8)
    kinds = codes[surfaces.role_index].reshape(height, width)
    padded = np.pad(kinds, 1)
    grown = kinds.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
            grown = np.where(grown == 0, shifted, grown)
    return np.where(mask > 0, grown, 0).astype(np.uint8)


def _dense_depth(scene: Scene, buffer: HitBuffer) -> np.ndarray:
    """Exact z-depth clipped at the family's maximum; sky (no hit) counts as the maximum."""
    h, w = scene.camera.height, scene.camera.width
    t = np.where(buffer.prim == NO_HIT, scene.max_depth, buffer.t)
    return np.minimum(t, scene.max_depth).reshape(h, w).astype(np.float32)


def _lidar_inputs(scene: Scene, buffer: HitBuffer):
    h, w = scene.camera.height, scene.camera.width
    sky = (buffer.prim == NO_HIT).reshape(h, w)
    depth = np.where(buffer.prim == NO_HIT, np.inf, buffer.t).reshape(h, w)
    scanner = np.asarray(scene.camera.position) + np.array([0.0, 0.08, 0.0])
    rel = buffer.points - scanner
    elevation = np.degrees(np.arctan2(rel[:, 1], np.hypot(rel[:, 0], rel[:, 2]) + 1e-9)).reshape(h, w)
    return depth, sky, elevation


__all__ = ["DOMAINS", "SKY_ROLE", "Sample", "render_sample"]

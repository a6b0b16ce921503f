"""Shading: turns a hit buffer into a linear-RGB image, then the domain's camera pipeline.

Depth cues on purpose (so a small U-Net can learn geometry at 48x64): a point
light near the camera with 1/(1 + (r/r0)^2) falloff and Lambertian cosine
(brightness falls with distance and grazing angle), distance fog/haze, and
distinct floor/wall/ceiling shades. The synthetic finish is a plain display
gamma; the real finish adds a global, learnable photometric shift (white
balance, exposure, tone curve) plus a 3x3 blur and sensor noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arc.data.synthrooms.geometry import NO_HIT, HitBuffer
from arc.data.synthrooms.materials import Material, texture_factor
from arc.data.synthrooms.scenes import Scene, tangent_axes

SKY_ROLE = "sky"


@dataclass(frozen=True)
class Photometry:
    """Per-image lighting and camera settings of one domain."""

    light_intensity: float
    light_colour: tuple[float, float, float]
    ambient: float
    falloff_radius: float  # r0 of the point light (indoor)
    fog_distance: float
    fog_colour: tuple[float, float, float]
    sky_zenith: tuple[float, float, float]
    sky_horizon: tuple[float, float, float]
    wb_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    exposure: float = 1.0
    tone_gamma: float = 1.0  # extra exponent on top of the display gamma 1/2.2
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0


def sample_photometry(family: str, domain: str, rng: np.random.Generator) -> Photometry:
    """Always consumes the same amount of randomness, whatever the domain."""
    u = rng.uniform(size=12)
    if family == "indoor":
        fog = (6.5 + 2.0 * u[0]) if domain == "synthetic" else (7.0 + 2.5 * u[0])
        base = dict(
            light_intensity=1.5 + 0.3 * u[1], ambient=0.12 + 0.04 * u[2], falloff_radius=2.3 + 0.5 * u[3],
            fog_distance=fog, sky_zenith=(0, 0, 0), sky_horizon=(0, 0, 0),
        )
        if domain == "synthetic":
            return Photometry(light_colour=(1.0, 1.0, 1.0), fog_colour=(0.04, 0.045, 0.055), **base)
        return Photometry(
            light_colour=(1.0, 0.9, 0.75), fog_colour=(0.07, 0.055, 0.04),
            wb_gains=(1.06 + 0.08 * u[4], 1.0, 0.82 + 0.08 * u[5]), exposure=1.05 + 0.2 * u[6],
            tone_gamma=0.75 + 0.15 * u[7], blur_sigma=0.45 + 0.35 * u[8], noise_sigma=0.012 + 0.018 * u[9], **base,
        )
    base = dict(
        light_intensity=1.0 + 0.3 * u[1], ambient=0.3 + 0.1 * u[2], falloff_radius=0.0,
        fog_distance=(55.0 if domain == "synthetic" else 45.0) + 25.0 * u[0],
    )
    if domain == "synthetic":
        return Photometry(
            light_colour=(1.0, 1.0, 1.0), fog_colour=(0.75, 0.82, 0.9),
            sky_zenith=(0.35, 0.55, 0.9), sky_horizon=(0.75, 0.82, 0.9), **base,
        )
    return Photometry(
        light_colour=(1.0, 0.93, 0.82), fog_colour=(0.78, 0.76, 0.7),
        sky_zenith=(0.5, 0.6, 0.75), sky_horizon=(0.85, 0.82, 0.76),
        wb_gains=(1.04 + 0.08 * u[4], 1.0, 0.84 + 0.08 * u[5]), exposure=0.95 + 0.2 * u[6],
        tone_gamma=0.75 + 0.15 * u[7], blur_sigma=0.45 + 0.35 * u[8], noise_sigma=0.012 + 0.018 * u[9], **base,
    )


@dataclass
class SurfaceMap:
    """Per-pixel role (index into ``roles``), tangent coordinates and decal-local coordinates."""

    roles: list[str]
    role_index: np.ndarray  # (N,) int
    uv: np.ndarray  # (N, 2) metres on the face plane
    local: np.ndarray  # (N, 2) in [-1, 1] inside a decal, else 0

    def mask_of(self, predicate) -> np.ndarray:
        keep = np.array([predicate(r) for r in self.roles], dtype=bool)
        return keep[self.role_index]


def resolve_surfaces(scene: Scene, buffer: HitBuffer) -> SurfaceMap:
    """Which role every pixel shows: primitive face roles, then decals in order (last wins)."""
    roles = [SKY_ROLE]
    index_of = {SKY_ROLE: 0}

    def idx(role: str) -> int:
        if role not in index_of:
            index_of[role] = len(roles)
            roles.append(role)
        return index_of[role]

    n_prims = len(scene.primitives)
    table = np.zeros((n_prims + 1, 6), dtype=np.int32)  # row n_prims = no hit -> sky
    for p, face_roles in enumerate(scene.face_roles):
        table[p] = [idx(r) for r in face_roles]
    prim = np.where(buffer.prim == NO_HIT, n_prims, buffer.prim)
    face = buffer.face
    role_index = table[prim, face]

    points = buffer.points
    uv = np.zeros((len(prim), 2))
    for axis in range(3):
        sel = (face // 2) == axis
        ua, va = tangent_axes(2 * axis)
        uv[sel, 0] = points[sel, ua]
        uv[sel, 1] = points[sel, va]
    local = np.zeros_like(uv)
    for decal in scene.decals:
        (u0, u1), (v0, v1) = decal.u_range, decal.v_range
        v = uv[:, 1]
        if decal.v_period:  # fold v into the first period
            v = np.where(v >= v0, v0 + np.mod(v - v0, decal.v_period), v)
        inside = (
            (buffer.prim == decal.prim) & (face == decal.face)
            & (uv[:, 0] >= u0) & (uv[:, 0] <= u1) & (v >= v0) & (v <= v1)
        )
        if inside.any():
            role_index[inside] = idx(decal.role)
            local[inside, 0] = 2.0 * (uv[inside, 0] - u0) / (u1 - u0) - 1.0
            local[inside, 1] = 2.0 * (v[inside] - v0) / (v1 - v0) - 1.0
    return SurfaceMap(roles, role_index, uv, local)


def albedo_map(surfaces: SurfaceMap, materials: dict[str, Material]) -> np.ndarray:
    """(N, 3) textured albedo."""
    from arc.data.synthrooms.posters import poster_albedo

    out = np.zeros((len(surfaces.role_index), 3))
    for r, role in enumerate(surfaces.roles):
        sel = surfaces.role_index == r
        if role == SKY_ROLE or not sel.any():
            continue
        mat = materials[role]
        if mat.texture == "poster":
            out[sel] = poster_albedo(mat.poster, surfaces.local[sel, 0], surfaces.local[sel, 1])
        else:
            tex = texture_factor(mat, surfaces.uv[sel, 0], surfaces.uv[sel, 1])
            out[sel] = np.asarray(mat.albedo) * tex[:, None]
    return np.clip(out, 0.0, 1.0)


def material_flags(surfaces: SurfaceMap, materials: dict[str, Material], name: str) -> np.ndarray:
    values = np.array([0.0 if r == SKY_ROLE else float(getattr(materials[r], name)) for r in surfaces.roles])
    return values[surfaces.role_index]


SPOTLIGHT_COLOUR = (1.0, 0.95, 0.85)  # warm white LED spot (no IR: the Kinect still sees the floor)


def spot_light(surfaces: SurfaceMap, materials: dict[str, Material]) -> np.ndarray:
    """(N, 3) extra irradiance of the light spots: a warm-white spot, or a spot with its own look."""
    spot = material_flags(surfaces, materials, "spotlight")[:, None] * np.asarray(SPOTLIGHT_COLOUR)
    for r, role in enumerate(surfaces.roles):
        look = None if role == SKY_ROLE else materials[role].spot_look
        sel = surfaces.role_index == r
        if look is None or not sel.any():
            continue
        pattern = texture_factor(look, surfaces.uv[sel, 0], surfaces.uv[sel, 1])
        spot[sel] = materials[role].spotlight * pattern[:, None] * np.asarray(look.colour)
    return spot


def shade(scene: Scene, buffer: HitBuffer, surfaces: SurfaceMap, materials: dict[str, Material],
          photo: Photometry, albedo: np.ndarray | None = None) -> np.ndarray:
    """Linear RGB (N, 3) before the camera finish (``albedo`` = precomputed ``albedo_map``)."""
    if albedo is None:
        albedo = albedo_map(surfaces, materials)
    emissive = material_flags(surfaces, materials, "emissive")[:, None]
    points, normal = buffer.points, buffer.normal
    light_colour = np.asarray(photo.light_colour)
    if scene.family == "indoor":
        to_light = scene.light - points
        dist = np.linalg.norm(to_light, axis=1) + 1e-9
        cosine = np.clip(np.einsum("ij,ij->i", normal, to_light) / dist, 0.0, 1.0)
        irradiance = photo.light_intensity * cosine / (1.0 + (dist / photo.falloff_radius) ** 2)
        spot = spot_light(surfaces, materials)
        lit = albedo * (photo.ambient + irradiance[:, None] * light_colour + spot)
    else:
        cosine = np.clip(normal @ scene.light, 0.0, 1.0)
        sky_light = photo.ambient * (0.75 + 0.25 * normal[:, 1])
        lit = albedo * (sky_light[:, None] + photo.light_intensity * cosine[:, None] * light_colour)
    colour = (1.0 - emissive) * lit + emissive * albedo
    depth = np.where(np.isfinite(buffer.t), buffer.t, 0.0)
    transmit = np.exp(-depth / photo.fog_distance)[:, None]
    colour = colour * transmit + np.asarray(photo.fog_colour) * (1.0 - transmit)

    sky = buffer.prim == NO_HIT
    if sky.any():
        d = buffer.dirs[sky]
        elevation = np.clip(d[:, 1] / np.linalg.norm(d, axis=1), 0.0, 1.0)[:, None] ** 0.6
        colour[sky] = (1 - elevation) * np.asarray(photo.sky_horizon) + elevation * np.asarray(photo.sky_zenith)
    return colour


def _blur3x3(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable 3x3 Gaussian with edge replication (radius 1: the clutter mask is dilated by 1)."""
    if sigma <= 0:
        return image
    w = np.exp(-1.0 / (2 * sigma * sigma))
    k = np.array([w, 1.0, w]) / (1.0 + 2.0 * w)
    pad = np.pad(image, ((1, 1), (0, 0), (0, 0)), mode="edge")
    image = k[0] * pad[:-2] + k[1] * pad[1:-1] + k[2] * pad[2:]
    pad = np.pad(image, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return k[0] * pad[:, :-2] + k[1] * pad[:, 1:-1] + k[2] * pad[:, 2:]


def finish(linear: np.ndarray, height: int, width: int, photo: Photometry, noise: np.ndarray) -> np.ndarray:
    """Camera pipeline: white balance, exposure, tone curve, blur, noise -> uint8 (H, W, 3)."""
    img = linear.reshape(height, width, 3) * np.asarray(photo.wb_gains) * photo.exposure
    img = np.clip(img, 0.0, 1.0) ** (1.0 / (2.2 * photo.tone_gamma))
    img = _blur3x3(img, photo.blur_sigma)
    img = img + photo.noise_sigma * noise.reshape(height, width, 3)
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)

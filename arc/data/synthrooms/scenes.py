"""Random scene geometry (domain-independent): rooms with furniture, streets with cars.

A scene is a list of primitives, a role name for each primitive face (the role
decides the material, see ``materials.py``) and flat decals (doors, windows,
sidewalks, lane markings) that only change the material of a rectangle on one
face. Geometry is drawn from its own random stream, so the synthetic and the
real domain share exactly the same geometry distribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arc.data.preprocess import FAMILY_MAX_DEPTH
from arc.data.synthrooms.camera import Camera
from arc.data.synthrooms.geometry import Box, GroundPlane, RoomInterior, Sphere

INDOOR_HFOV_DEG = 63.0  # NYU Kinect: 2 * atan(320 / 518.86)
OUTDOOR_HFOV_DEG = 82.0  # KITTI image_02: 2 * atan(621 / 707.05)

# Faces: 0 -x, 1 +x, 2 -y (down), 3 +y (up), 4 -z, 5 +z (see geometry.py).
ROOM_FACE_ROLES = ("wall:right", "wall:left", "ceiling", "floor", "wall:far", "wall:back")


def tangent_axes(face: int) -> tuple[int, int]:
    """The two world axes spanning a face (u, v); v is 'up' on vertical faces."""
    axis = face // 2
    return {0: (2, 1), 1: (0, 2), 2: (0, 1)}[axis]


@dataclass
class Decal:
    """A flat rectangle on one face of one primitive that overrides its material."""

    prim: int
    face: int
    u_range: tuple[float, float]
    v_range: tuple[float, float]
    role: str
    v_period: float | None = None  # repeat the rectangle every v_period along v (dashed lines)


@dataclass
class Scene:
    family: str
    camera: Camera
    primitives: list = field(default_factory=list)
    face_roles: list = field(default_factory=list)  # per primitive: 6 role names
    decals: list = field(default_factory=list)
    light: np.ndarray | None = None  # indoor: point light position; outdoor: unit sun direction
    extent: dict = field(default_factory=dict)  # room size / street layout, for clutter placement

    def add(self, primitive, roles) -> int:
        if isinstance(roles, str):
            roles = (roles,) * 6
        self.primitives.append(primitive)
        self.face_roles.append(tuple(roles))
        return len(self.primitives) - 1

    @property
    def max_depth(self) -> float:
        return FAMILY_MAX_DEPTH[self.family]


def _overlaps(a_lo, a_hi, b_lo, b_hi, margin=0.05) -> bool:
    return all(a_lo[i] < b_hi[i] + margin and b_lo[i] < a_hi[i] + margin for i in (0, 2))


def sample_indoor_scene(rng: np.random.Generator, height: int, width: int) -> Scene:
    room_w = rng.uniform(3.0, 6.5)  # x
    room_l = rng.uniform(3.5, 7.5)  # z
    room_h = rng.uniform(2.4, 3.1)  # y
    cam_x = rng.uniform(-0.3, 0.3) * room_w
    cam_z = rng.uniform(0.3, 1.0)
    cam_y = rng.uniform(1.0, 1.7)
    camera = Camera(
        height, width, INDOOR_HFOV_DEG, (cam_x, cam_y, cam_z),
        yaw_deg=rng.uniform(-35, 35), pitch_deg=rng.uniform(-25, -3), roll_deg=rng.uniform(-3, 3),
    )
    scene = Scene("indoor", camera, extent={"room": (room_w, room_h, room_l)})
    lo, hi = (-room_w / 2, 0.0, 0.0), (room_w / 2, room_h, room_l)
    room = scene.add(RoomInterior(lo, hi), ROOM_FACE_ROLES)

    # Furniture: boxes against walls or free-standing, never around the camera.
    kinds = {  # width (x), depth (z), height ranges
        "bed": ((1.4, 2.1), (1.8, 2.1), (0.4, 0.6)),
        "sofa": ((1.5, 2.2), (0.8, 1.0), (0.7, 0.9)),
        "table": ((0.8, 1.6), (0.6, 1.0), (0.7, 0.8)),
        "cabinet": ((0.5, 1.4), (0.35, 0.6), (0.9, 2.1)),
        "chair": ((0.4, 0.5), (0.4, 0.5), (0.8, 1.0)),
    }
    placed: list[tuple] = []
    for k in range(int(rng.integers(2, 7))):
        kind = list(kinds)[int(rng.integers(len(kinds)))]
        (w0, w1), (d0, d1), (h0, h1) = kinds[kind]
        w, d, h = rng.uniform(w0, w1), rng.uniform(d0, d1), rng.uniform(h0, h1)
        if rng.random() < 0.5:
            w, d = d, w
        for _ in range(10):
            x = rng.uniform(lo[0] + w / 2, hi[0] - w / 2) if w < room_w else 0.0
            z = rng.uniform(0.2 + d / 2, hi[2] - d / 2) if d < room_l - 0.2 else room_l / 2
            if rng.random() < 0.6:  # push against the nearest side or far wall
                if rng.random() < 0.5:
                    x = lo[0] + w / 2 if x < 0 else hi[0] - w / 2
                else:
                    z = hi[2] - d / 2
            b_lo, b_hi = (x - w / 2, 0.0, z - d / 2), (x + w / 2, h, z + d / 2)
            near_camera = abs(x - cam_x) < w / 2 + 0.6 and abs(z - cam_z) < d / 2 + 0.6
            if not near_camera and not any(_overlaps(b_lo, b_hi, p[0], p[1]) for p in placed):
                placed.append((b_lo, b_hi))
                roles = [f"furniture:{k}"] * 6
                roles[3] = f"furniture_top:{k}"  # the top may differ (table cloth, mattress)
                scene.add(Box(b_lo, b_hi), roles)
                break
    scene.extent["furniture"] = placed

    # Doors and windows exist in both domains (they are not clutter).
    for face in (0, 1, 4):
        u_axis, _ = tangent_axes(face)
        u_lo, u_hi = lo[u_axis], hi[u_axis]
        if rng.random() < 0.35:
            wd = rng.uniform(0.8, 1.0)
            uc = rng.uniform(u_lo + 0.2 + wd / 2, u_hi - 0.2 - wd / 2)
            scene.decals.append(Decal(room, face, (uc - wd / 2, uc + wd / 2), (0.0, 2.0), "door"))
        if rng.random() < 0.35:
            wd = rng.uniform(0.7, 1.5)
            uc = rng.uniform(u_lo + 0.1 + wd / 2, u_hi - 0.1 - wd / 2)
            v0 = rng.uniform(0.8, 1.1)
            v1 = min(room_h - 0.2, v0 + rng.uniform(0.8, 1.3))
            scene.decals.append(Decal(room, face, (uc - wd / 2, uc + wd / 2), (v0, v1), "window"))

    offset = np.array([rng.uniform(-0.4, 0.4), rng.uniform(0.3, 0.9), rng.uniform(-0.6, 0.2)])
    light = np.array(camera.position) + offset
    light[1] = min(light[1], room_h - 0.05)
    scene.light = light
    return scene


def sample_outdoor_scene(rng: np.random.Generator, height: int, width: int) -> Scene:
    road_half = rng.uniform(3.5, 6.0)
    sidewalk = rng.uniform(1.5, 3.0)
    cam_x = rng.uniform(-0.5, 0.5) * road_half
    camera = Camera(
        height, width, OUTDOOR_HFOV_DEG, (cam_x, rng.uniform(1.5, 1.8), 0.0),
        yaw_deg=rng.uniform(-12, 12), pitch_deg=rng.uniform(-4, 2), roll_deg=rng.uniform(-1.5, 1.5),
    )
    scene = Scene("outdoor", camera, extent={"road_half": road_half, "sidewalk": sidewalk})
    ground = scene.add(GroundPlane(0.0), "road")
    kerb = road_half + sidewalk
    for side in (-1, 1):
        x0, x1 = sorted((side * road_half, side * kerb))
        scene.decals.append(Decal(ground, 3, (x0, x1), (-50.0, 400.0), "sidewalk"))
    z0 = rng.uniform(0, 9)  # dashed centre line: 3 m dashes every 9 m
    scene.decals.append(Decal(ground, 3, (-0.08, 0.08), (z0, z0 + 3.0), "marking", v_period=9.0))

    # Building blocks along both sides, with occasional gaps that show sky.
    for side in (-1, 1):
        z, b = -10.0, 0
        while z < 160.0:
            length = rng.uniform(8.0, 25.0)
            if rng.random() > 0.2:
                setback = kerb + rng.uniform(0.0, 2.5)
                x_in, x_out = side * setback, side * (setback + 12.0)
                b_lo = (min(x_in, x_out), 0.0, z)
                b_hi = (max(x_in, x_out), rng.uniform(6.0, 22.0), z + length)
                scene.add(Box(b_lo, b_hi), f"facade:{side}:{b}")
            z += length + (rng.uniform(2.0, 10.0) if rng.random() < 0.25 else 0.0)
            b += 1
    if rng.random() < 0.6:  # the street ends at a building across it
        z_end = rng.uniform(60.0, 160.0)
        scene.add(Box((-kerb - 20, 0.0, z_end), (kerb + 20, rng.uniform(8, 25), z_end + 10)), "facade:end:0")

    # Cars parked along both kerbs (and a few driving ahead): body + cabin.
    for c in range(int(rng.integers(2, 10))):
        if rng.random() < 0.8:
            xc = rng.choice([-1, 1]) * (road_half - 1.1)
        else:
            xc = rng.uniform(-road_half + 1.5, road_half - 1.5)
            if abs(xc - cam_x) < 1.5:
                continue
        zc = rng.uniform(4.0, 70.0)
        w, ln = rng.uniform(1.7, 1.9), rng.uniform(3.8, 4.8)
        body = Box((xc - w / 2, 0.25, zc - ln / 2), (xc + w / 2, 1.0, zc + ln / 2))
        cabin = Box((xc - w / 2 + 0.1, 1.0, zc - ln / 4), (xc + w / 2 - 0.1, 1.5, zc + ln / 4 + 0.3))
        scene.add(body, f"car:{c}")
        scene.add(cabin, f"car_window:{c}")
    scene.light = _unit([rng.uniform(-0.6, 0.6), rng.uniform(0.4, 0.9), rng.uniform(-0.5, 0.8)])
    return scene


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def sample_scene(family: str, rng: np.random.Generator, height: int, width: int) -> Scene:
    if family == "indoor":
        return sample_indoor_scene(rng, height, width)
    if family == "outdoor":
        return sample_outdoor_scene(rng, height, width)
    raise ValueError(f"unknown SynthRooms family {family!r}; expected 'indoor' or 'outdoor'")


__all__ = ["Box", "Decal", "GroundPlane", "RoomInterior", "Scene", "Sphere", "sample_scene", "tangent_axes"]

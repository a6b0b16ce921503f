"""Pinhole camera for SynthRooms: per-pixel world rays whose camera-z component is 1.

Because every ray direction has unit length along the optical axis, the ray
parameter ``t`` of a hit *is* the z-depth (distance along the optical axis),
which is what NYU, PBRS and KITTI store. World frame: x right, y up, z forward
(the street runs along +z; rooms extend along +z from the camera's back wall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    height: int
    width: int
    hfov_deg: float
    position: tuple[float, float, float]
    yaw_deg: float = 0.0  # rotation about world y (positive = turn right, towards +x)
    pitch_deg: float = 0.0  # positive = look up
    roll_deg: float = 0.0

    @property
    def focal(self) -> float:
        return (self.width / 2.0) / np.tan(np.deg2rad(self.hfov_deg) / 2.0)

    def rotation(self) -> np.ndarray:
        """Camera-to-world rotation (columns = camera right, up, forward in world)."""
        yaw, pitch, roll = np.deg2rad([self.yaw_deg, self.pitch_deg, self.roll_deg])
        cy, sy = np.cos(yaw), np.sin(yaw)
        cp, sp = np.cos(pitch), np.sin(pitch)
        cr, sr = np.cos(roll), np.sin(roll)
        r_yaw = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
        r_pitch = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])
        r_roll = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
        return r_yaw @ r_pitch @ r_roll

    def camera_rays(self) -> np.ndarray:
        """(H*W, 3) directions in camera coordinates (x right, y up, z = 1)."""
        f = self.focal
        u = (np.arange(self.width) + 0.5 - self.width / 2.0) / f
        v = -(np.arange(self.height) + 0.5 - self.height / 2.0) / f
        uu, vv = np.meshgrid(u, v)
        return np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)], axis=1)

    def world_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Origin (3,) and (H*W, 3) world directions with camera-z component 1."""
        dirs = self.camera_rays() @ self.rotation().T
        return np.asarray(self.position, dtype=np.float64), dirs

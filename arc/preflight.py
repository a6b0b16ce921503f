"""What a run needs beyond valid settings, checked before any job: the dataset folders (layout,
counts, split lists; for KITTI's LiDAR ground truth every test frame's Velodyne scan and calibration
files), the VGG weights the inpainting stage loads, a GPU when ``runtime.device`` is ``cuda``, and disk
space for the decoded cache. ``arc config validate`` and the workflow's first step (``prepare_source``)
both call :func:`run_problems`; each problem is one line naming the key and what was expected.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from arc.config import CACHE_ROOT, SYNTHROOMS_FAMILY, benchmark_size
from arc.errors import ArcError
from arc.settings import setting

# torchvision's config letters: the conv layers that tell VGG16 from VGG19 in a state_dict.
VGG_CONFIGS = {"vgg16": "D", "vgg19": "E"}
VGG_FILES = {"vgg16": "vgg16-397923af.pth", "vgg19": "vgg19-dcbb9e9d.pth"}
VGG_STAGES = ("inpainting",)  # the stages whose losses use the frozen VGG
# The cache stores uint8 RGB + uint16 depth per pixel (arc/data/cache.py); the headroom covers the
# source lists, checkpoints and predictions written beside it.
CACHE_BYTES_PER_PIXEL = 3 + 2
CACHE_HEADROOM = 1.5
VKITTI_FRAMES_PER_VARIANT = 2126  # 10,630 frames over the five 1.3.1 variants


def vgg_problems(params: dict) -> list[str]:
    """The weights exist, load as a state_dict and hold the configured VGG's conv layers."""
    import torch

    vgg = params["models"]["vgg"]
    if not any(stage in VGG_STAGES for row in params["rows"].values() for stage in row["stages"]):
        return []
    path, arch = vgg.get("weights"), vgg.get("arch", "vgg16")
    if path is None:
        if vgg.get("fallback") == "error":
            return [f"models.vgg.weights is null and models.vgg.fallback is 'error': expected the path of torchvision's "
                    f"ImageNet {arch} file {VGG_FILES[arch]} (see docs/real-data.md)"]
        return []
    if not Path(path).is_file():
        return [f"models.vgg.weights = '{path}' does not exist; expected torchvision's ImageNet {arch} file "
                f"{VGG_FILES[arch]} (download: see docs/real-data.md)"]
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated or not a torch file
        return [f"models.vgg.weights = '{path}' could not be read as a torch state_dict ({type(exc).__name__}: {exc})"]
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        return [f"models.vgg.weights = '{path}' holds a {type(state).__name__}; expected a torchvision state_dict"]
    convs = [(k, tuple(v.shape)) for k, v in state.items() if k.startswith("features.") and k.endswith(".weight")
             and getattr(v, "ndim", 0) == 4]
    convs.sort(key=lambda kv: int(kv[0].split(".")[1]))
    if [shape for _, shape in convs] != vgg_conv_shapes(arch):
        others = [a for a in VGG_FILES if [shape for _, shape in convs] == vgg_conv_shapes(a)]
        what = f"a torchvision {others[0]}" if others else "not a torchvision VGG"
        return [f"models.vgg.weights = '{path}' has {len(convs)} conv layers in 'features' ({what}); models.vgg.arch = "
                f"{arch!r} expects torchvision's {arch} ({VGG_FILES[arch]}, {len(vgg_conv_shapes(arch))} conv layers)"]
    return []


def vgg_conv_shapes(arch: str) -> list[tuple[int, int, int, int]]:
    """The (out, in, 3, 3) shapes of torchvision's ``features`` convs for ``arch``."""
    from torchvision.models.vgg import cfgs

    shapes, channels = [], 3
    for item in cfgs[VGG_CONFIGS[arch]]:
        if item != "M":
            shapes.append((int(item), channels, 3, 3))
            channels = int(item)
    return shapes


def device_problems(params: dict) -> list[str]:
    import torch

    if params["runtime"]["device"] == "cuda" and not torch.cuda.is_available():
        return ["runtime.device = 'cuda' but torch sees no CUDA GPU here (torch "
                f"{torch.__version__}, built for CUDA {torch.version.cuda}); expected a GPU, or set runtime.device: cpu|auto"]
    return []


def cache_bytes(params: dict) -> int:
    """Bytes the decoded cache of the chosen benchmark takes (all four splits)."""
    height, width = benchmark_size(params)
    d, bench = params["data"], params["benchmark"]
    if bench in SYNTHROOMS_FAMILY:
        fam = d["synthrooms"][SYNTHROOMS_FAMILY[bench]]
        frames = fam["n_syn_train"] + fam["n_real_train"] + fam["n_real_val"] + fam["n_real_test"]
    elif bench == "nyu-pbrs":
        frames = d["pbrs"]["n_train"] + d["nyu"]["n_train"] + d["nyu"]["n_val"] + 654
    else:
        frames = d["kitti"]["n_train"] + d["kitti"]["n_val"] + 697 + VKITTI_FRAMES_PER_VARIANT * len(d["vkitti"]["variants"])
    return int(frames * height * width * CACHE_BYTES_PER_PIXEL)


def disk_problems(params: dict) -> list[str]:
    need = cache_bytes(params) * CACHE_HEADROOM
    folder = Path(CACHE_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder if folder.exists() else Path.cwd()).free
    if free < need:
        return [f"data.cache_root = '{CACHE_ROOT}': {free / 2**30:.1f} GiB free on its disk, the decoded cache of "
                f"benchmark '{params['benchmark']}' needs about {need / 2**30:.1f} GiB; expected that much free space"]
    return []


def dataset_problems(params: dict) -> tuple[list[str], list[str]]:
    """(found lines, problems) for the dataset folders; generated benchmarks have none."""
    if params["benchmark"] in SYNTHROOMS_FAMILY:
        return [], []
    from arc.data.benchmarks import plan_sources

    try:
        return plan_sources(params).found, []
    except ArcError as exc:
        return [], [str(exc)]


def ground_truth_problems(params: dict) -> list[str]:
    """A protocol scoring KITTI's projected LiDAR needs the KITTI benchmark with ``data.kitti.lidar_gt``
    (whose files the dataset check then looks for, frame by frame)."""
    from arc.evaluation.protocols import KITTI_VELODYNE_GT, PROTOCOLS

    evaluation = params["evaluation"]
    keys = [("evaluation.protocol", evaluation["protocol"])]
    keys += [(f"evaluation.also_protocols.{i}", n) for i, n in enumerate(evaluation.get("also_protocols") or [])]
    lidar_gt = params["benchmark"] == "kitti-vkitti" and setting(params, "data.kitti.lidar_gt")
    return [f"key '{key}' = {name!r} scores the raw LiDAR of KITTI's test frames, but "
            + ("data.kitti.lidar_gt is false; expected data.kitti.lidar_gt: true (the raw download's "
               "velodyne_points and calibration files)" if params["benchmark"] == "kitti-vkitti" else
               f"benchmark {params['benchmark']!r} has none; expected benchmark kitti-vkitti")
            for key, name in keys
            if name in PROTOCOLS and PROTOCOLS[name].ground_truth == KITTI_VELODYNE_GT and not lidar_gt]


def data_job_problems(params: dict) -> list[str]:
    """What the data jobs check before any training job runs: the VGG weights and the disk. Not the
    GPU: a data job runs on any machine (the device is checked by the jobs that use it)."""
    if params["benchmark"] in SYNTHROOMS_FAMILY:
        return []
    return vgg_problems(params) + disk_problems(params)


def run_problems(params: dict, datasets: bool = True) -> tuple[list[str], list[str]]:
    """(found lines, problems): everything a run of ``params`` needs besides valid settings;
    ``datasets=False`` skips opening the folders (their paths already failed)."""
    found, problems = dataset_problems(params) if datasets else ([], [])
    problems += ground_truth_problems(params) + vgg_problems(params) + device_problems(params) + disk_problems(params)
    return found, problems

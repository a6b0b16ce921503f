"""`arc config validate` checks everything a run needs, all at once, one line per problem:
the paper presets as shipped validate once only the dataset roots and the VGG path are set
(trees of the real samples at the full pool sizes: tests/realdata_tree.py), and every setting that
used to fail late (a float where an integer is meant, a protocol of the other benchmark, a row
missing a stage, ...) is refused up front, naming its key."""

from __future__ import annotations

import shutil
from collections import namedtuple

import pytest
import yaml

import realdata_tree
from arc.cli import main
from arc.config import config_problems, use_preset
from pipeline_copy import ROOT

SHIPPED_POOL = ROOT / "data" / "splits" / "nyu_train_files_with_gt.txt"


@pytest.fixture(scope="module")
def full_trees(tmp_path_factory):
    """Folders as large as the paper's sampling needs: BTS's whole training list, 5,000+ PBRS pairs,
    1,200 KITTI training frames in 10 drives outside the Eigen test drives."""
    from arc.data.sampling import read_split_list, sample_split

    nyu_cfg, seed = _shipped("paper-nyu")["data"]["nyu"], _shipped("paper-nyu")["seed"]
    # Only the frames the preset samples are linked (what validate opens); the pool is the whole list.
    train, val = sample_split(read_split_list(SHIPPED_POOL), dataset="nyu", n=nyu_cfg["n_train"], seed=seed,
                              n_val=nyu_cfg["n_val"], val_scene_disjoint=True)
    nyu = realdata_tree.nyu_pbrs_tree(tmp_path_factory.mktemp("nyu"), n_pbrs=5010, pool=SHIPPED_POOL, only={*train, *val})
    kitti = realdata_tree.kitti_vkitti_tree(tmp_path_factory.mktemp("kitti"), train_drives=10, frames_per_drive=120)
    vgg = realdata_tree.write_vgg_features(tmp_path_factory.mktemp("weights") / "vgg19-dcbb9e9d.pth", "vgg19")
    return nyu, kitti, vgg


def _shipped(preset: str) -> dict:
    return yaml.safe_load((ROOT / "configs" / f"{preset}.yaml").read_text())


def _roots_only(preset: str, full_trees) -> dict:
    """The shipped preset with what a user sets: the dataset roots and the VGG file."""
    nyu, kitti, vgg = full_trees
    params = _shipped(preset)
    if preset == "paper-nyu":
        for key in ("raw_root", "labeled_mat", "splits_mat"):
            params["data"]["nyu"][key] = nyu["nyu"][key]
        params["data"]["pbrs"]["root"] = nyu["pbrs"]["root"]
    else:
        params["data"]["kitti"]["root"] = kitti["kitti"]["root"]
        params["data"]["vkitti"]["root"] = kitti["vkitti"]["root"]
    params["models"]["vgg"]["weights"] = str(vgg)
    return params


def _validate(tmp_path, capsys, params) -> tuple[int, str, list[str]]:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    code = main(["config", "validate", "--params", str(path)])
    out = capsys.readouterr()
    return code, out.out, [l for l in out.err.splitlines() if l.startswith("error: ")]


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture
def at_repo_root(monkeypatch, plenty_of_disk):
    monkeypatch.chdir(ROOT)  # the presets name data/splits/... relative to the repository


@pytest.mark.parametrize("preset", ["paper-nyu", "paper-kitti"])
def test_paper_preset_validates_with_only_roots_and_vgg_set(preset, tmp_path, capsys, full_trees, at_repo_root):
    params = _roots_only(preset, full_trees)
    code, out, errors = _validate(tmp_path, capsys, params)
    if not _has_gpu():
        # the one thing left on a machine without a GPU, named with its key
        assert code == 2 and len(errors) == 1 and "runtime.device = 'cuda'" in errors[0], errors
        params["runtime"]["device"] = "cpu"
        code, out, errors = _validate(tmp_path, capsys, params)
    assert code == 0 and not errors, errors
    if preset == "paper-nyu":
        assert "found data.nyu.train_pool_list: 24231 frames in 284 scenes; sampled 500 training + 50 validation" in out
        assert "found data.pbrs.root: 5010 RGB+depth pairs" in out and "sampled 5000" in out
    else:
        assert "found data.kitti.test_list: 697 frames, all evaluated against their raw LiDAR" in out
        assert "652 also have annotated depth" in out


def test_nothing_set_lists_every_missing_piece_at_once(tmp_path, capsys, at_repo_root):
    params = _shipped("paper-nyu")
    params["data"]["nyu"]["raw_root"] = str(tmp_path / "no_sync")
    params["data"]["pbrs"]["root"] = str(tmp_path / "no_pbrs")
    code, _, errors = _validate(tmp_path, capsys, params)
    assert code == 2
    text = "\n".join(errors)
    for key in ("data.nyu.raw_root", "data.nyu.labeled_mat", "data.nyu.splits_mat", "data.pbrs.root", "models.vgg.weights"):
        assert f"{key}" in text, (key, text)
    assert "data.nyu.train_pool_list" not in text  # shipped in data/splits/
    assert len(errors) >= 5


@pytest.mark.parametrize("arch, other", [("vgg16", "vgg19"), ("vgg19", "vgg16")])
def test_vgg_file_must_be_the_configured_vgg(tmp_path, arch, other):
    from arc.preflight import vgg_problems

    params = _shipped("paper-nyu")
    params["models"]["vgg"]["arch"] = arch
    params["models"]["vgg"]["weights"] = str(realdata_tree.write_vgg_features(tmp_path / "w.pth", other))
    [line] = vgg_problems(params)
    assert f"models.vgg.arch = '{arch}'" in line and f"a torchvision {other}" in line
    (tmp_path / "w.pth").write_bytes(b"not a torch file")
    [line] = vgg_problems(params)
    assert "could not be read as a torch state_dict" in line
    params["models"]["vgg"]["weights"] = str(realdata_tree.write_vgg_features(tmp_path / "ok.pth", arch))
    assert vgg_problems(params) == []


def test_disk_space_for_the_cache(monkeypatch):
    from arc.preflight import disk_problems

    monkeypatch.setattr("arc.preflight.shutil.disk_usage", lambda _path: namedtuple("u", "total used free")(1, 1, 2**20))
    [line] = disk_problems(_shipped("paper-kitti"))
    assert line.startswith("data.cache_root = 'data/cache': 0.0 GiB free") and "needs about" in line


# Each setting that used to pass and fail later (issue 22 item 3), and the key its line must name.
LATE_FAILURES = [
    (("optim", "batch_size"), 8.0, "optim.batch_size"),
    (("training", "depth", "epochs"), 2.0, "training.depth.epochs"),
    (("seeds",), [0.0], "seeds.0"),
    (("training", "gasda", "stereo"), True, "training.gasda.stereo"),
    (("rows", "arc_a", "stages"), ["depth", "finetune"], "rows.arc_a.stages"),
    (("evaluation", "protocol"), "kitti-standard", "evaluation.protocol"),
    (("data", "cache_root"), "/scratch/cache", "data.cache_root"),
]


def _set(params: dict, keys: tuple, value) -> dict:
    node = params
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return params


@pytest.mark.parametrize("keys, value, named", LATE_FAILURES, ids=[n for *_, n in LATE_FAILURES])
def test_late_failures_are_refused_up_front(keys, value, named):
    problems = config_problems(_set(_shipped("demo"), keys, value), "params.yaml", check_paths=False)
    assert len(problems) == 1 and f"'{named}'" in problems[0], problems


def test_all_problems_at_once_and_downsampling_that_does_not_divide():
    params = _shipped("demo")
    for keys, value, _ in LATE_FAILURES[3:]:
        _set(params, keys, value)
    assert len(config_problems(params, "params.yaml", check_paths=False)) == len(LATE_FAILURES) - 3
    params = _shipped("smoke")
    params["models"]["depth"] = {"base_width": 8, "num_downsamples": 4, "num_inception_blocks": 0}
    params["data"]["synthrooms"]["indoor"].update(height=24, width=32)
    [line] = config_problems(params, "params.yaml", check_paths=False)
    assert "'models.depth.num_downsamples' = 4" in line and "24x32" in line and "2**4 = 16" in line


def test_split_list_entries_stay_inside_the_dataset_root(tmp_path):
    from arc.data.sampling import read_split_list
    from arc.errors import DataError

    good = tmp_path / "good.txt"
    good.write_text("/kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png 518.8579\n")
    assert len(read_split_list(good)) == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("# header\n/kitchen/rgb_1.jpg /kitchen/sync_depth_1.png\n/../../etc/rgb_2.jpg x.png\n")
    with pytest.raises(DataError, match=r"bad\.txt:3: entry .* climbs out of the dataset root"):
        read_split_list(bad)


def test_preset_switches_keep_every_backup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    target = tmp_path / "params.yaml"
    target.write_text("first: settings\n")
    use_preset("smoke", target)
    use_preset("demo", target)
    use_preset("smoke", target)
    backups = sorted(tmp_path.glob("params.yaml.*.bak"))
    assert len(backups) == 3
    assert "first: settings" in backups[0].read_text()

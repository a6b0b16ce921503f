"""The three depth baselines get the same update budget per epoch (a pass over syn_train)."""

from arc.training.stages import get_stage
from conftest_training import make_tiny_cache, tiny_params


def test_real_only_epoch_matches_the_synthetic_pass(tmp_path):
    # 20 synthetic images and 6 real ones at batch 4: 5 steps per epoch for every source,
    # although one pass over the real set alone would be only 2 steps.
    cache = make_tiny_cache(tmp_path / "cache", counts={"syn_train": 20})
    params = tiny_params()
    steps = {}
    for source in ("syn", "real", "mix"):
        summary = get_stage("depth").run(params, data_dir=cache, seed=0, out_dir=tmp_path / source, source=source)
        steps[source] = summary["steps"]
    assert steps == {"syn": 5, "real": 5, "mix": 5}

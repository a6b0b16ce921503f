"""Training-curves figure: which stage folders it reads, what the CSV holds, and its errors."""

import json

import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

from arc.cli import main
from arc.errors import DataError
from arc.reports.training_curves import expected_runs, load_run, write_training_curves

ROOT_PARAMS = "configs/smoke.yaml"


def _write_run(root, seed, name, *, stage="depth", epochs=3, steps=4, losses=("depth_real", "total"),
               val_metric="rms_log", selection="best", selected_epoch=2, phase=False, extra_val=()):
    run = root / f"seed{seed}" / name
    run.mkdir(parents=True)
    log_rows = []
    step = 0
    for epoch in range(epochs):
        for _ in range(steps):
            step += 1
            row = {"step": step, "epoch": epoch}
            row.update({loss: 1.0 / step for loss in losses})
            if phase:
                row["phase"] = 14.0 + epoch % 2
            log_rows.append(row)
    pd.DataFrame(log_rows).to_csv(run / "log.csv", index=False)
    val_rows = [{"epoch": e, "step": e * steps, **{m: float("nan") for m in extra_val}, val_metric: 0.5 - 0.01 * e,
                 "selected": int(e <= selected_epoch)} for e in range(1, epochs + 1)]
    pd.DataFrame(val_rows).to_csv(run / "val.csv", index=False)
    summary = {"stage": stage, "selection": selection, "metric": val_metric if selection == "best" else None,
               "selected_epoch": selected_epoch}
    (run / "summary.json").write_text(json.dumps(summary))
    return run


def test_expected_runs_are_the_stage_folders_of_the_dag():
    params = yaml.safe_load(open(ROOT_PARAMS))
    names = expected_runs(params)
    # D x3, T, A and I per sweep rho (translated) + at rho (raw), the 4 ARC rows at rho, ARC:full per sweep rho,
    # the mix + fine-tuning control and the three peers
    assert names[:4] == ["syn_only", "real_only", "mix", "translator"]
    assert set(names) == {
        "syn_only", "real_only", "mix", "translator",
        "attention_t-rho0.85", "attention_t-rho0.95", "attention-rho0.85",
        "inpainting_t-rho0.85", "inpainting_t-rho0.95", "inpainting-rho0.85",
        "arc_t", "arc_a-rho0.85", "arc_at-rho0.85", "arc_ai-rho0.85", "arc_full-rho0.85", "arc_full-rho0.95",
        "mix_ft", "t2net", "crdoco", "gasda",
    }
    assert len(names) == len(set(names))


def test_csv_has_epoch_means_and_the_selection_metric(tmp_path):
    _write_run(tmp_path, 0, "mix", epochs=3, steps=4)
    _write_run(tmp_path, 0, "translator", stage="translator", losses=("cycle", "total"), val_metric="cycle_l1",
               selection="last", selected_epoch=3, extra_val=("hole_l1",))
    out = tmp_path / "reports" / "curves.png"
    table = write_training_curves(tmp_path, out, seeds=[0], names=["mix", "translator"], validation_metric="rms_log")
    image = imread(out)
    assert image.ndim == 3 and image.shape[0] > 200
    written = pd.read_csv(out.with_suffix(".csv"))
    assert len(written) == len(table) == 2 * (3 + 3)
    mix_train = written[(written["run"] == "mix") & (written["curve"] == "train")]
    # epoch 1 = steps 1..4: mean of 1/step
    assert mix_train["value"].tolist()[0] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    assert mix_train["epoch"].tolist() == [1, 2, 3] and mix_train["step"].tolist() == [4, 8, 12]
    mix_val = written[(written["run"] == "mix") & (written["curve"] == "val")]
    assert set(mix_val["metric"]) == {"rms_log"} and mix_val["selected"].tolist() == [0, 1, 0]
    # a stage that keeps its last epoch has no summary metric: the first finite val column is drawn
    t_val = written[(written["run"] == "translator") & (written["curve"] == "val")]
    assert set(t_val["metric"]) == {"cycle_l1"} and t_val["selected"].tolist() == [0, 0, 1]
    # panels of one run are adjacent: train then val
    assert written.groupby("panel")["panel_order"].first().sort_values().tolist() == [0, 1, 2, 3]


def test_last_epoch_change_ignores_alternating_finetune_objectives(tmp_path):
    plain = load_run(_write_run(tmp_path, 0, "mix", epochs=2), 0)
    assert plain.last_epoch_change() == pytest.approx(
        (sum(1 / s for s in range(5, 9)) - sum(1 / s for s in range(1, 5))) / sum(1 / s for s in range(1, 5)))
    finetune = load_run(_write_run(tmp_path, 0, "arc_t", stage="finetune", epochs=2, phase=True), 0)
    assert finetune.last_epoch_change() is None


def test_missing_stage_folder_and_missing_log_are_named(tmp_path):
    _write_run(tmp_path, 0, "mix")
    with pytest.raises(DataError, match=r"seed1/mix"):
        write_training_curves(tmp_path, tmp_path / "c.png", seeds=[0, 1], names=["mix"])
    (tmp_path / "seed0" / "mix" / "log.csv").unlink()
    with pytest.raises(DataError, match=r"log\.csv: missing"):
        write_training_curves(tmp_path, tmp_path / "c.png", seeds=[0], names=["mix"])
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "c.csv").exists()


def test_cli_takes_stages_and_seeds_from_params(tmp_path, capsys):
    params = yaml.safe_load(open(ROOT_PARAMS))
    params["seeds"] = [0, 3]
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(params))
    runs = tmp_path / "runs"
    for seed in (0, 3):
        for name in expected_runs(params):
            _write_run(runs, seed, name, epochs=2, selected_epoch=1)
    out = tmp_path / "reports" / "training_curves.png"
    assert main(["report", "training-curves", "--params", str(params_path), "--runs", str(runs),
                 "--out", str(out)]) == 0
    written = pd.read_csv(out.with_suffix(".csv"))
    assert set(written["seed"]) == {0, 3} and written["run"].nunique() == len(expected_runs(params))
    assert "20 stages x 2 seed(s)" in capsys.readouterr().out

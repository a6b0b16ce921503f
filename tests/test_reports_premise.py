"""The premise report: which fixed Ds it measures, and how it summarises seeds."""
import copy

import pandas as pd
import pytest

from arc.config import load_params
from arc.errors import ConfigError
from arc.reports.premise_report import premise_markdown, premise_settings, write_premise_report


@pytest.fixture(scope="module")
def demo_params():
    return load_params("configs/demo.yaml", check_paths=False)


def test_settings_follow_the_rows_and_the_attention_depth_row(demo_params):
    tag = f"rho{demo_params['rho']}"  # A's folders as the row plans name them at the Table-2 rho
    settings = premise_settings(demo_params)
    assert [s.folders() for s in settings] == [
        ["mix"],
        ["syn_only", f"attention-{tag}"],
        ["syn_only", "translator", f"attention_t-{tag}"],
    ]
    params = copy.deepcopy(demo_params)
    params["training"]["attention"]["depth_row"] = "mix"
    params["rows"] = {k: v for k, v in params["rows"].items() if k not in ("arc_a", "arc_ai")}  # no raw A left
    params["rho"] = 0.9  # A's folder as the row plans name it at the Table-2 rho
    assert [s.folders() for s in premise_settings(params)] == [["mix"], ["mix", "translator", "attention_t-rho0.9"]]
    del params["rows"]["mix"]
    with pytest.raises(ConfigError, match="rows.mix"):
        premise_settings(params)


def test_markdown_gives_mean_and_std_over_seeds_per_setting(tmp_path):
    records = []
    for seed, (base, twin, iou) in enumerate(((0.30, -10.0, 0.1), (0.34, -6.0, 0.3))):
        for setting in ("mix D", "A's D"):
            records += [
                {"setting": setting, "seed": seed, "intervention": "as_captured", "rms_log": base, "abs_rel": 0.2,
                 "rms_log_change_pct": 0.0, "abs_rel_change_pct": 0.0, "clutter_fraction": 0.12,
                 "attention_iou": float("nan"), "attention_removed_fraction": float("nan")},
                {"setting": setting, "seed": seed, "intervention": "twin", "rms_log": base, "abs_rel": 0.2,
                 "rms_log_change_pct": twin, "abs_rel_change_pct": 0.0, "clutter_fraction": 0.12,
                 "attention_iou": float("nan"), "attention_removed_fraction": float("nan")},
            ]
        records.append({"setting": "A's D", "seed": seed, "intervention": "attention_removed", "rms_log": base,
                        "abs_rel": 0.2, "rms_log_change_pct": -1.0, "abs_rel_change_pct": 0.0,
                        "clutter_fraction": 0.12, "attention_iou": iou, "attention_removed_fraction": 0.15})
    frame = pd.DataFrame(records)
    md = premise_markdown(frame, "real_val")
    assert "| input to D | mix D | A's D |" in md
    assert "| as_captured | 0.3200 ± 0.0283 | 0.3200 ± 0.0283 |" in md
    assert "| twin | -8.0 ± 2.8 % | -8.0 ± 2.8 % |" in md
    assert "| attention_removed | – | -1.0 ± 0.0 % |" in md
    assert "A's D: A's mask removes 15.0 ± 0.0 % of the pixels; IoU with the clutter 0.200 ± 0.141." in md
    out = write_premise_report(frame, tmp_path / "reports" / "premise.csv", "real_val")
    assert len(pd.read_csv(out)) == len(frame) and out.with_suffix(".md").read_text() == md
    assert out.with_suffix(".json").is_file()


def test_kind_table_gives_the_error_inside_each_clutter_kind_and_the_twins_change():
    records = []
    for seed, (captured, twin) in enumerate(((0.50, 0.40), (0.70, 0.49))):
        for intervention, inside in (("as_captured", captured), ("twin", twin)):
            records.append({"setting": "mix D", "seed": seed, "intervention": intervention, "rms_log": 0.3,
                            "abs_rel": 0.2, "rms_log_change_pct": 0.0, "abs_rel_change_pct": 0.0,
                            "clutter_fraction": 0.1, "attention_iou": float("nan"),
                            "attention_removed_fraction": float("nan"),
                            "rms_log_in_background": 0.2, "rms_log_in_blinds_shadow": inside})
    md = premise_markdown(pd.DataFrame(records), "real_val")
    # -20 % and -30 %: mean -25.0, std 7.1; the background is not a clutter kind
    assert "| blinds_shadow | 0.600 ± 0.141 (-25.0 ± 7.1 %) |" in md
    assert "| background |" not in md
    without = pd.DataFrame(records).drop(columns=["rms_log_in_background", "rms_log_in_blinds_shadow"])
    assert "Inside each clutter kind" not in premise_markdown(without, "real_val")

# Tables and figures from the per-seed results. Every table and figure is marked with report(...):
# `snakemake --report reports/report.html` after a run gathers them, each with its caption from
# workflow/report/, into one self-contained HTML file.
# Each rule also writes reports/<name>.provenance.json (arc/reports/provenance.py): what the report
# and the runs behind it ran on, kept out of the report files so that those compare byte-for-byte.

FULL = f"arc_full-{RHO_TAG}"
OUTDOOR = B == "kitti-vkitti" or B == "synthrooms-outdoor"
TABLE_CATEGORY = "Table 3" if OUTDOOR else "Table 2"
PREMISE_SETTINGS = premise_settings(config) if PREMISE_REPORT else []


def in_report(path, caption, category, subcategory=None):
    # caption paths are relative to this rule file
    return report(path, caption=f"../report/{caption}.rst", category=category, subcategory=subcategory)


def results_for(methods):
    return [result(seed, m) for seed in SEEDS for m in methods]


from arc.reports.tables import also_table_paths

# The main table under each also-protocol, beside the primary one (CSV, Markdown, JSON).
ALSO_TABLE_FILES = [in_report(str(path), "table", TABLE_CATEGORY, f"table under {p} ({kind})")
                    for p in ALSO_PROTOCOLS
                    for path, kind in zip(also_table_paths(f"reports/{REPORT['table']}.csv", p), ("CSV", "Markdown", "JSON"))]
# An output only when there are any: the rule of a preset without also-protocols is as before.
ALSO_TABLES = {"also": ALSO_TABLE_FILES} if ALSO_TABLE_FILES else {}


rule report_table:
    input:
        CODE_REPORT,
        "workflow/scripts/report_table.py",
        "arc/reports/paper_reference.csv",
        results_for(TABLE_METHODS),
        # `snakemake reports/table2.csv` is the documented entry point: it brings the other
        # reports of the preset (Table 4, Fig. 3/4/5) with it.
        companions=[report_path(n, e) for n, e in (("mask_table", "csv"), ("rho_figure", "png"),
                                                  ("per_sample_figure", "png"), ("qualitative_figure", "png"),
                                                  ("training_curves", "png"))] + PREMISE_REPORT,
    output:
        csv=in_report(report_path("table", "csv"), "table", TABLE_CATEGORY, "table (CSV)"),
        md=in_report(report_path("table", "md"), "table", TABLE_CATEGORY, "table with the paper's rows (Markdown)"),
        json=in_report(report_path("table", "json"), "table", TABLE_CATEGORY, "data (JSON)"),
        metrics=in_report(f"reports/{REPORT['table']}_metrics.json", "table_metrics", TABLE_CATEGORY, "data (JSON)"),
        provenance=in_report(report_path("table", "provenance.json"), "provenance", TABLE_CATEGORY, "provenance (JSON)"),
        **ALSO_TABLES,
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_table.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_table.py --params params.yaml --results results/{B} --out {output.csv} --log {log}"


rule report_premise:
    input:
        CODE_REPORT,
        "workflow/scripts/report_premise.py",
        [ckpt(seed, name) for seed in SEEDS for s in PREMISE_SETTINGS for name in s.folders()],
        data=f"data/cache/{B}",
    output:
        csv=in_report(report_path("premise", "csv"), "premise", "Premise", "data (CSV)"),
        md=in_report(report_path("premise", "md"), "premise", "Premise", "table (Markdown)"),
        json=in_report(report_path("premise", "json"), "premise", "Premise", "data (JSON)"),
        provenance=in_report(report_path("premise", "provenance.json"), "provenance", "Premise", "provenance (JSON)"),
    params:
        settings=settings(*PREMISE_REPORT_SETTINGS),
    log:
        f"logs/{B}/report_premise.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_premise.py --params params.yaml --runs runs/{B}"
        " --split {input.data}/real_val --out {output.csv} --log {log}"


rule report_mask_table:
    input:
        CODE_REPORT,
        "workflow/scripts/report_mask_table.py",
        results_for(["mix", FULL]),
        data=f"data/cache/{B}",
    output:
        csv=in_report(report_path("mask_table", "csv"), "mask_table", "Table 4", "table (CSV)"),
        md=in_report(report_path("mask_table", "md"), "mask_table", "Table 4", "table with the paper's rows (Markdown)"),
        provenance=in_report(report_path("mask_table", "provenance.json"), "provenance", "Table 4", "provenance (JSON)"),
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_mask_table.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_mask_table.py --params params.yaml --results results/{B}"
        " --split {input.data}/real_test --out {output.csv} --log {log}"


rule report_rho_figure:
    input:
        CODE_REPORT,
        "workflow/scripts/report_rho_figure.py",
        results_for(BASELINE_ROWS + SWEEP_METHODS),
    output:
        png=in_report(report_path("rho_figure", "png"), "rho_figure", "rho sweep", "figure"),
        csv=in_report(report_path("rho_figure", "csv"), "rho_figure", "rho sweep", "data (CSV)"),
        provenance=in_report(report_path("rho_figure", "provenance.json"), "provenance", "rho sweep", "provenance (JSON)"),
    params:
        settings=settings(*RHO_FIGURE_SETTINGS),
    log:
        f"logs/{B}/report_rho_figure.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_rho_figure.py --params params.yaml --results results/{B} --out {output.png} --log {log}"


rule report_per_sample_figure:
    input:
        CODE_REPORT,
        "workflow/scripts/report_per_sample_figure.py",
        results_for(["mix", FULL]),
    output:
        png=in_report(report_path("per_sample_figure", "png"), "per_sample_figure", "per-image gains", "figure"),
        csv=in_report(report_path("per_sample_figure", "csv"), "per_sample_figure", "per-image gains", "data (CSV)"),
        json=in_report(report_path("per_sample_figure", "json"), "per_sample_summary", "per-image gains", "data (JSON)"),
        by_baseline=in_report(f"reports/{REPORT['per_sample_figure']}_by_baseline.png", "per_sample_by_baseline",
                              "per-image gains", "figure"),
        provenance=in_report(report_path("per_sample_figure", "provenance.json"), "provenance", "per-image gains", "provenance (JSON)"),
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_per_sample_figure.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_per_sample_figure.py --params params.yaml --results results/{B}"
        " --out {output.png} --log {log}"


rule report_qualitative_figure:
    input:
        CODE_REPORT,
        "workflow/scripts/report_qualitative_figure.py",
        results_for(["mix", FULL]),
        mix=ckpt(SEEDS[0], "mix"),
        arc=ckpt(SEEDS[0], FULL),
        data=f"data/cache/{B}",
    output:
        png=in_report(report_path("qualitative_figure", "png"), "qualitative_figure", "qualitative", "figure"),
        provenance=in_report(report_path("qualitative_figure", "provenance.json"), "provenance", "qualitative", "provenance (JSON)"),
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_qualitative_figure.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_qualitative_figure.py --params params.yaml --results results/{B}"
        " --mix {input.mix}/checkpoint.pt --arc {input.arc}/checkpoint.pt --split {input.data}/real_test --out {output.png} --log {log}"


# Every stage folder one seed trains, from the row plans (the same function the script uses to
# find the folders, so a new row's runs are waited for without an edit here).
from arc.reports.training_curves import expected_runs

TRAINING_RUNS = expected_runs(config)
CODE_CURVES = CODE_REPORT + sources("arc/training/rows.py", "arc/training/stages/__init__.py", "arc/losses/sparsity.py")


rule report_training_curves:
    input:
        CODE_CURVES,
        "workflow/scripts/report_training_curves.py",
        [ckpt(seed, name) for seed in SEEDS for name in TRAINING_RUNS],
    output:
        png=in_report(report_path("training_curves", "png"), "training_curves", "training curves", "figure"),
        csv=in_report(report_path("training_curves", "csv"), "training_curves", "training curves", "data (CSV)"),
        provenance=in_report(report_path("training_curves", "provenance.json"), "provenance", "training curves", "provenance (JSON)"),
    params:
        settings=settings(*TRAINING_CURVES_SETTINGS),
    log:
        f"logs/{B}/report_training_curves.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_training_curves.py --params params.yaml --runs runs/{B} --out {output.png} --log {log}"

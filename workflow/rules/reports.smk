# Tables and figures from the per-seed results.

REPORT_SETTINGS = ["benchmark", "seeds", "rows", "rho", "evaluation"]
FULL = f"arc_full-{RHO_TAG}"


def results_for(methods):
    return [result(seed, m) for seed in SEEDS for m in methods]


rule report_table:
    input:
        CODE_REPORT,
        "workflow/scripts/report_table.py",
        "arc/reports/paper_reference.csv",
        results_for(TABLE_METHODS + ORACLE),
        # `snakemake reports/table2.csv` is the documented entry point: it brings the other
        # reports of the preset (Table 4, Fig. 3/4/5) with it.
        companions=[report_path(n, e) for n, e in (("mask_table", "csv"), ("rho_figure", "png"),
                                                  ("per_sample_figure", "png"), ("qualitative_figure", "png"))],
    output:
        csv=report_path("table", "csv"),
        md=report_path("table", "md"),
        json=report_path("table", "json"),
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_table.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_table.py --params params.yaml --results results/{B} --out {output.csv} --log {log}"


rule report_mask_table:
    input:
        CODE_REPORT,
        "workflow/scripts/report_mask_table.py",
        results_for(["mix", FULL]),
        data=f"data/cache/{B}",
    output:
        csv=report_path("mask_table", "csv"),
        md=report_path("mask_table", "md"),
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
        png=report_path("rho_figure", "png"),
        csv=report_path("rho_figure", "csv"),
    params:
        settings=settings(*REPORT_SETTINGS, "rho_sweep"),
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
        png=report_path("per_sample_figure", "png"),
        csv=report_path("per_sample_figure", "csv"),
        json=report_path("per_sample_figure", "json"),
        by_baseline=f"reports/{REPORT['per_sample_figure']}_by_baseline.png",
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
        report_path("qualitative_figure", "png"),
    params:
        settings=settings(*REPORT_SETTINGS),
    log:
        f"logs/{B}/report_qualitative_figure.log",
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python workflow/scripts/report_qualitative_figure.py --params params.yaml --results results/{B}"
        " --mix {input.mix}/checkpoint.pt --arc {input.arc}/checkpoint.pt --split {input.data}/real_test --out {output} --log {log}"

# ARC reproduction DAG. Settings: params.yaml (validated before anything runs).
# dvc.yaml declares the same stages, commands and outputs; it is generated
# (python workflow/make_dvc_yaml.py) from the same row plans, and tests/test_workflow_sync.py
# checks that it is current and that both tools resolve the same jobs.
#   snakemake --cores 8 reports/table2.csv      # one table
#   snakemake --cores 8                          # every report of the preset
#   snakemake --profile profiles/slurm           # on a SLURM cluster
#   snakemake --report reports/report.html       # after a run: every table and figure in one HTML file

# The settings are read by the project's own loader (arc.config.load_params: YAML 1.2 read strictly,
# params.local.yaml merged, validated) -- the same reading every job and the dvc.yaml generator use --
# not by Snakemake's `configfile:` (YAML 1.1, where `010` is 8 and `1:00` is 60).
from arc.config import load_params as _load_settings

config.update(_load_settings("params.yaml"))

report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/reports.smk"
include: "workflow/rules/premise_sweep.smk"


onstart:
    # One engine at a time per working copy: holds DVC's repository lock until snakemake ends.
    from arc.utils.runlock import hold_working_copy

    hold_working_copy("snakemake")


rule all:
    input:
        ALL_REPORTS,

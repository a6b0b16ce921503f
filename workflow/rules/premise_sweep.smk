# When does ARC pay? The premise sweep (SynthRooms; arc/reports/premise_sweep.py, docs/premise-sweep/).
#   snakemake --cores 8 reports/premise_sweep.csv              # every level of premise_sweep.levels
#   snakemake --cores 8 runs/premise_sweep/level2/summary.json # one level (any clutter_strength >= 0)
# Each level is the main DAG, nested, in its own folder (runs/premise_sweep/level<L>/) with a
# params.yaml derived from this one: data.synthrooms.<family>.clutter_strength = L, the ladder's rows
# (mix, mix + fine-tuning, ARC:T, A&T, full, and the oracle rows) at the Table-2 rho, the preset's
# training seeds. The level's params.yaml is rewritten only when its content changes, so changing
# one level (or a setting only it reads) reruns that level's branch only.
from arc.reports.premise_sweep import level_tag, prepare_level

# premise_sweep.levels (params.yaml; default in the schema): adding or changing one level runs that
# level only, since the level list is not part of a level's own params.yaml.
PREMISE_LEVELS = setting(config, "premise_sweep.levels")
# What a level's nested DAG runs (the whole package, the main workflow's rules and scripts).
PREMISE_SWEEP_CODE = (sources("arc") + sorted(glob.glob("workflow/rules/*.smk")) + sorted(glob.glob("workflow/scripts/*.py"))
                      + ["Snakefile"])


def premise_level_params(w):
    # Written while the DAG is built (not by a job), so an unchanged level keeps its mtime.
    return str(prepare_level(config, float(w.level)) / "params.yaml")


rule premise_sweep_level:
    input:
        PREMISE_SWEEP_CODE,
        params=premise_level_params,
    output:
        "runs/premise_sweep/level{level}/summary.json",
    wildcard_constraints:
        level=r"[0-9]+(\.[0-9]*[1-9])?",
    log:
        "logs/premise_sweep/level{level}.log",
    threads: 64  # the level's nested DAG gets every core: Snakemake caps threads at --cores
    resources:
        mem_mb=MEM_TRAIN,
    shell:
        "python workflow/scripts/report_premise_sweep.py --params params.yaml --log {log}"
        " level --level {wildcards.level} --cores {threads} --out {output}"


rule report_premise_sweep:
    input:
        CODE_REPORT,
        "workflow/scripts/report_premise_sweep.py",
        summaries=[f"runs/premise_sweep/{level_tag(level)}/summary.json" for level in PREMISE_LEVELS],
    output:
        csv="reports/premise_sweep.csv",
        png="reports/premise_sweep.png",
    log:
        "logs/premise_sweep/report.log",
    threads: 1
    shell:
        "python workflow/scripts/report_premise_sweep.py --params params.yaml --log {log}"
        " report {input.summaries} --out {output.csv}"

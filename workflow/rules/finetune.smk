# Modular coordinate descent (Alg. 1) for each ARC row of Table 2 and each rho of the sweep.
# A row's upstream checkpoints follow from its `modules` in params.yaml (T -> translator,
# A -> attention, trained on T(x) when the row has T, I -> inpainter), as arc.training.rows plans them.

FINETUNE_SETTINGS = ["runtime", "optim", "training.validation", "training.finetune"]


def finetune_flags(w, input):
    return " ".join(f"--{name} {input[name]}/checkpoint.pt" for name in ("depth", "translator", "attention", "inpainter") if name in input.keys())


rule finetune_with_attention:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_finetune.py",
        unpack(lambda w: row_step_inputs(w.arc_row, w.seed, w.rho)),
        data=f"data/cache/{B}",
    output:
        directory(f"runs/{B}/seed{{seed}}/{{arc_row}}-rho{{rho}}"),
    wildcard_constraints:
        arc_row="|".join(r for r in FINETUNE_ROWS if "A" in ROWS[r]["modules"]),
    params:
        settings=lambda w: settings(*FINETUNE_SETTINGS, *row_training_keys(w.arc_row)),
        flags=finetune_flags,
    log:
        f"logs/{B}/seed{{seed}}/{{arc_row}}-rho{{rho}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_finetune.py --params params.yaml --data {input.data} --row {wildcards.arc_row}"
        " --seed {wildcards.seed} {params.flags} --out {output} --log {log}"


rule finetune_without_attention:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_finetune.py",
        unpack(lambda w: row_step_inputs(w.arc_row, w.seed)),
        data=f"data/cache/{B}",
    output:
        directory(f"runs/{B}/seed{{seed}}/{{arc_row}}"),
    wildcard_constraints:
        arc_row="|".join(r for r in FINETUNE_ROWS if "A" not in ROWS[r]["modules"]),
    params:
        settings=lambda w: settings(*FINETUNE_SETTINGS, *row_training_keys(w.arc_row)),
        flags=finetune_flags,
    log:
        f"logs/{B}/seed{{seed}}/{{arc_row}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_finetune.py --params params.yaml --data {input.data} --row {wildcards.arc_row}"
        " --seed {wildcards.seed} {params.flags} --out {output} --log {log}"

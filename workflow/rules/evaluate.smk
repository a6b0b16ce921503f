# Evaluation of every method and seed on the real test split, under the preset's protocol (and its also-protocols).

# evaluation.also_protocols only when set: the jobs of presets without it keep their params string.
EVAL_SETTINGS = ["runtime", "evaluation.protocol"] + (["evaluation.also_protocols"] if ALSO_PROTOCOLS else [])


# Oracle rows (SynthRooms only): oracle_declutter is mix training's D on the clutter-free twins;
# oracle_mask is ARC:full (Table-2 rho) with the true clutter mask in place of A's (A's ceiling).
ORACLE_CHECKPOINT = {"oracle_declutter": "mix", "oracle_mask": f"arc_full-{RHO_TAG}"}


def method_checkpoint(w):
    return ckpt(w.seed, ORACLE_CHECKPOINT.get(w.method, w.method))


rule evaluate:
    input:
        CODE_EVAL,
        "workflow/scripts/evaluate.py",
        checkpoint=method_checkpoint,
        data=f"data/cache/{B}",
    output:
        directory(f"results/{B}/seed{{seed}}/{{method}}"),
    wildcard_constraints:
        method=r"[a-z][a-z0-9_]*(-rho[0-9.e-]+)?",
    params:
        settings=settings(*EVAL_SETTINGS),
    log:
        f"logs/{B}/seed{{seed}}/evaluate-{{method}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/evaluate.py --params params.yaml --checkpoint {input.checkpoint}/checkpoint.pt"
        " --split {input.data}/real_test --method {wildcards.method} --seed {wildcards.seed} --out {output} --log {log}"

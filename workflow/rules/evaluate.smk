# Evaluation of every method and seed on the real test split, under the preset's protocol.

EVAL_SETTINGS = ["runtime", "evaluation.protocol"]


def method_checkpoint(w):
    # The oracle row is D of mix training applied to the clutter-free twins.
    return ckpt(w.seed, "mix" if w.method == "oracle_declutter" else w.method)


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

# Per-module pretraining: D (syn / real / mix), T (CycleGAN), A (per rho), I (per rho).
# Every seed is its own branch, so --cores runs seeds in parallel.

TRAIN_COMMON = ["runtime", "optim", "training.validation"]


rule train_depth:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_depth.py",
        data=f"data/cache/{B}",
    output:
        directory(f"runs/{B}/seed{{seed}}/{{row}}"),
    params:
        settings=lambda w: settings(*TRAIN_COMMON, "models.depth", "training.depth", *row_training_keys(w.row)),
    log:
        f"logs/{B}/seed{{seed}}/{{row}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_depth.py --params params.yaml --data {input.data} --row {wildcards.row}"
        " --seed {wildcards.seed} --out {output} --log {log}"


rule train_translator:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_translator.py",
        data=f"data/cache/{B}",
    output:
        directory(f"runs/{B}/seed{{seed}}/translator"),
    params:
        settings=settings(*TRAIN_COMMON, "models.translator", "models.patch_discriminator", "training.translator"),
    log:
        f"logs/{B}/seed{{seed}}/translator.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_translator.py --params params.yaml --data {input.data}"
        " --seed {wildcards.seed} --out {output} --log {log}"


# The pretrained D that A is trained against (training.attention.depth_row; the paper's code: mix).
ATTENTION_DEPTH_ROW = config["training"]["attention"].get("depth_row", "mix")
ATTENTION_SETTINGS = [*TRAIN_COMMON, "models.attention", "models.patch_discriminator", "training.attention"]
if config["training"]["attention"].get("objective", "depth") == "cyclegan":  # A inside a fresh CycleGAN
    ATTENTION_SETTINGS += ["models.translator", "training.translator"]


rule train_attention_translated:
    # A for rows with T: trained on T(x) through the fixed D of training.attention.depth_row.
    input:
        CODE_TRAIN,
        "workflow/scripts/train_attention.py",
        data=f"data/cache/{B}",
        depth=ckpt("{seed}", ATTENTION_DEPTH_ROW),
        translator=ckpt("{seed}", "translator"),
    output:
        directory(f"runs/{B}/seed{{seed}}/attention_t-rho{{rho}}"),
    params:
        settings=settings(*ATTENTION_SETTINGS),
    log:
        f"logs/{B}/seed{{seed}}/attention_t-rho{{rho}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_attention.py --params params.yaml --data {input.data} --seed {wildcards.seed}"
        " --rho {wildcards.rho} --depth {input.depth}/checkpoint.pt --translator {input.translator}/checkpoint.pt --out {output} --log {log}"


rule train_attention_raw:
    # A for rows without T (ARC:A, ARC:A&I): trained on the raw real image.
    input:
        CODE_TRAIN,
        "workflow/scripts/train_attention.py",
        data=f"data/cache/{B}",
        depth=ckpt("{seed}", ATTENTION_DEPTH_ROW),
    output:
        directory(f"runs/{B}/seed{{seed}}/attention-rho{{rho}}"),
    params:
        settings=settings(*ATTENTION_SETTINGS),
    log:
        f"logs/{B}/seed{{seed}}/attention-rho{{rho}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_attention.py --params params.yaml --data {input.data} --seed {wildcards.seed}"
        " --rho {wildcards.rho} --depth {input.depth}/checkpoint.pt --out {output} --log {log}"


INPAINT_SETTINGS = [*TRAIN_COMMON, "seed", "models.inpainter", "models.inpaint_discriminator", "models.vgg",
                    "training.inpainting"]


rule train_inpainting_translated:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_inpainting.py",
        data=f"data/cache/{B}",
        attention=ckpt("{seed}", "attention_t-rho{rho}"),
        translator=ckpt("{seed}", "translator"),
    output:
        directory(f"runs/{B}/seed{{seed}}/inpainting_t-rho{{rho}}"),
    params:
        settings=settings(*INPAINT_SETTINGS),
    log:
        f"logs/{B}/seed{{seed}}/inpainting_t-rho{{rho}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_inpainting.py --params params.yaml --data {input.data} --seed {wildcards.seed}"
        " --attention {input.attention}/checkpoint.pt --translator {input.translator}/checkpoint.pt --out {output} --log {log}"


rule train_inpainting_raw:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_inpainting.py",
        data=f"data/cache/{B}",
        attention=ckpt("{seed}", "attention-rho{rho}"),
    output:
        directory(f"runs/{B}/seed{{seed}}/inpainting-rho{{rho}}"),
    params:
        settings=settings(*INPAINT_SETTINGS),
    log:
        f"logs/{B}/seed{{seed}}/inpainting-rho{{rho}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_inpainting.py --params params.yaml --data {input.data} --seed {wildcards.seed}"
        " --attention {input.attention}/checkpoint.pt --out {output} --log {log}"


# The joint stage (D + A, T and I fixed) of the rows that have one, e.g. the authors' recipe
# [depth, translator, attention, inpainting, joint, finetune]: folder and upstreams from the row plan.
JOINT_SETTINGS = [*TRAIN_COMMON, "models.attention", "models.patch_discriminator", "training.attention", "training.joint"]

if JOINT_STEPS:

    rule train_joint:
        input:
            CODE_TRAIN,
            "workflow/scripts/train_joint.py",
            unpack(lambda w: {flag: ckpt(w.seed, name.format(rho=w.rho)) for flag, name in JOINT_STEPS[f"{w.joint}-rho{{rho}}"].needs.items()}),
            data=f"data/cache/{B}",
        output:
            directory(f"runs/{B}/seed{{seed}}/{{joint}}-rho{{rho}}"),
        wildcard_constraints:
            joint="|".join(name.rsplit("-rho", 1)[0] for name in JOINT_STEPS),
        params:
            settings=settings(*JOINT_SETTINGS),
            flags=lambda w, input: " ".join(f"--{flag} {input[flag]}/checkpoint.pt" for flag in ("depth", "attention", "translator", "inpainter") if flag in input.keys()),
        log:
            f"logs/{B}/seed{{seed}}/{{joint}}-rho{{rho}}.log",
        threads: THREADS
        resources:
            mem_mb=MEM_TRAIN,
            gpu=GPUS,
        shell:
            "python workflow/scripts/train_joint.py --params params.yaml --data {input.data} --seed {wildcards.seed}"
            " --rho {wildcards.rho} {params.flags} --out {output} --log {log}"

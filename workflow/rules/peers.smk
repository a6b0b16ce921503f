# The domain-adaptation peers of Table 2/3 (T2Net, CrDoCo, GASDA): one training job per peer row,
# starting from the upstream stages its row lists (CrDoCo and GASDA: the translator stage's CycleGAN).

from arc.training.stages import PEER_MODELS


def peer_flags(w, input):
    # Each flag carries its leading space: T2Net has none, and the command must match dvc.yaml's exactly.
    return "".join(f" --{flag} {input[flag]}/checkpoint.pt" for flag in row_step(w.peer_row).needs)


def peer_settings(peer_row):
    peer = peer_of(ROWS[peer_row])
    return settings(*TRAIN_COMMON, *(f"models.{m}" for m in PEER_MODELS[peer]), f"training.{peer}", *row_training_keys(peer_row))


rule train_peer:
    input:
        CODE_TRAIN,
        "workflow/scripts/train_peer.py",
        unpack(lambda w: row_step_inputs(w.peer_row, w.seed)),
        data=f"data/cache/{B}",
    output:
        directory(f"runs/{B}/seed{{seed}}/{{peer_row}}"),
    wildcard_constraints:
        peer_row="|".join(PEER_ROWS) or "(?!)",
    params:
        settings=lambda w: peer_settings(w.peer_row),
        peer=lambda w: peer_of(ROWS[w.peer_row]),
        flags=peer_flags,
    log:
        f"logs/{B}/seed{{seed}}/{{peer_row}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "python workflow/scripts/train_peer.py {params.peer} --params params.yaml --data {input.data}"
        " --seed {wildcards.seed}{params.flags} --out {output} --log {log}"

# Training and evaluation: one rule per kind of job (the stage table, arc/stage_table.py), each
# running exactly the jobs arc.dag plans for this preset. A job is what it computes: rows and sweep
# values that need the same stage share its folder, so it trains once per seed. Every seed is its
# own branch, so --cores runs seeds in parallel.


def _job(rule, w):
    return TRAIN_JOBS[rule][(int(w.seed), w.name)]


def _names(jobs):
    return "|".join(re.escape(name) for name in sorted({name for _, name in jobs}))


def _job_inputs(job):
    return {"code": sources(*job.code), "data": job.data, **job.upstream}


for _rule, _jobs in TRAIN_JOBS.items():

    rule:
        name: _rule
        input:
            unpack(lambda w, r=_rule: _job_inputs(_job(r, w))),
        output:
            directory(f"runs/{B}/seed{{seed}}/{{name}}"),
        wildcard_constraints:
            name=_names(_jobs),
        params:
            settings=lambda w, r=_rule: settings(*_job(r, w).settings),
            cmd=lambda w, r=_rule: _job(r, w).cmd,
        log:
            f"logs/{B}/seed{{seed}}/{{name}}.log",
        threads: THREADS
        resources:
            mem_mb=MEM_TRAIN,
            gpu=GPUS,
        shell:
            "{params.cmd}"


EVALUATE = jobs_by_rule(EVAL_JOBS)["evaluate"]


rule evaluate:
    input:
        unpack(lambda w: _job_inputs(EVALUATE[(int(w.seed), w.name)])),
    output:
        directory(f"results/{B}/seed{{seed}}/{{name}}"),
    wildcard_constraints:
        name=_names(EVALUATE),
    params:
        settings=lambda w: settings(*EVALUATE[(int(w.seed), w.name)].settings),
        cmd=lambda w: EVALUATE[(int(w.seed), w.name)].cmd,
    log:
        f"logs/{B}/seed{{seed}}/evaluate-{{name}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "{params.cmd}"

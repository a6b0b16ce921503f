# Training and evaluation: one rule per kind of job (the stage table, arc/stage_table.py), each
# running exactly the jobs arc.dag plans for this preset. A job is what it computes: rows and sweep
# values that need the same stage share its folder, so it trains once per seed. Every seed is its
# own branch, so --cores runs seeds in parallel.


def _job(rule, w):
    """The planned job of an output; a seed outside `seeds` (asked for by path) is planned the same way."""
    jobs, key = TRAIN_JOBS[rule], (int(w.seed), w.name)
    if key not in jobs:
        jobs.update(jobs_by_rule(training_jobs({**config, "seeds": [key[0]]})).get(rule, {}))
    return jobs[key]


def _evaluation_job(w):
    key = (int(w.seed), w.name)
    if key not in EVALUATE:
        EVALUATE.update(jobs_by_rule(evaluation_jobs({**config, "seeds": [key[0]]}, ORACLE_ROWS))["evaluate"])
    return EVALUATE[key]


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
        unpack(lambda w: _job_inputs(_evaluation_job(w))),
    output:
        directory(f"results/{B}/seed{{seed}}/{{name}}"),
    wildcard_constraints:
        name=_names(EVALUATE),
    params:
        settings=lambda w: settings(*_evaluation_job(w).settings),
        cmd=lambda w: _evaluation_job(w).cmd,
    log:
        f"logs/{B}/seed{{seed}}/evaluate-{{name}}.log",
    threads: THREADS
    resources:
        mem_mb=MEM_TRAIN,
        gpu=GPUS,
    shell:
        "{params.cmd}"

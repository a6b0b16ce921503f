# Data: generate (SynthRooms) or sample (real datasets) -> decoded cache.


rule prepare_source:
    input:
        CODE_DATA,
        "workflow/scripts/prepare_source.py",
    output:
        directory(f"data/source/{B}"),
    params:
        settings=settings(*PREPARE_SOURCE_SETTINGS),
    log:
        f"logs/{B}/prepare_source.log",
    threads: 1
    resources:
        mem_mb=4000,
    shell:
        "python workflow/scripts/prepare_source.py --params params.yaml --benchmark {B} --out {output} --log {log}"


rule build_cache:
    input:
        CODE_DATA,
        "workflow/scripts/build_cache.py",
        source=f"data/source/{B}",
    output:
        directory(f"data/cache/{B}"),
    params:
        settings=settings(*BUILD_CACHE_SETTINGS),
    log:
        f"logs/{B}/build_cache.log",
    threads: 1
    resources:
        mem_mb=4000,
    shell:
        "python workflow/scripts/build_cache.py --params params.yaml --source {input.source} --out {output} --log {log}"

rule sample_solutions:
    input:
        questions=task_file("train"),
        model=model_input("base", "base"),
    output:
        f"{RESULTS}/samples/solutions.jsonl",
    params:
        json=lambda w: as_json(
            {
                **generation_params(),
                **model_params("base", "base"),
                "styles": config["prompts"]["styles"],
                "samples": samples_needed(
                    config["sft_data"], list(config["prompts"]["styles"]), config["sampling"]["samples_per_style"]
                ),
                "sampling": config["sampling"],
            }
        ),
    threads: config["generation"]["threads"]
    resources:
        gpu=job_gpus("generate"),
        mem_mb=job_mem_mb("generate"),
    conda:
        "../../envs/generation.yaml"
    priority: 50
    log:
        f"{RESULTS}/logs/sample_solutions.log",
    benchmark:
        f"{RESULTS}/benchmarks/sample_solutions.tsv"
    shell:
        stage_shell("sample_solutions", "--questions {input.questions} --output {output}")


rule sample_reflections:
    input:
        samples=rules.sample_solutions.output[0],
        model=model_input("base", "base"),
    output:
        reflections=f"{RESULTS}/samples/reflections.jsonl",
        stats=report(
            f"{RESULTS}/samples/reflections.stats.json", caption="../report/reflections.rst", category="Data"
        ),
    params:
        json=lambda w: as_json(
            {
                **generation_params(),
                **model_params("base", "base"),
                "verify_template": config["prompts"]["verify"],
                "sampling": config["reflection"],
            }
        ),
    threads: config["generation"]["threads"]
    resources:
        gpu=job_gpus("generate"),
        mem_mb=job_mem_mb("generate"),
    conda:
        "../../envs/generation.yaml"
    priority: 50
    log:
        f"{RESULTS}/logs/sample_reflections.log",
    benchmark:
        f"{RESULTS}/benchmarks/sample_reflections.tsv"
    shell:
        stage_shell(
            "sample_reflections",
            "--samples {input.samples} --output {output.reflections} --stats {output.stats}",
        )

rule base_card:
    input:
        eval_sets=[task_file(name) for name in config["eval_sets"]],
        model=model_input("base", "base"),
    output:
        report(f"{RESULTS}/base_card.json", caption="../report/base_card.rst", category="Base model"),
    params:
        json=lambda w: as_json(
            {
                **generation_params(),
                **model_params("base", "base"),
                **config["base_card"],
                "templates": {name: set_template(spec) for name, spec in config["eval_sets"].items()},
                "verify_template": config["prompts"]["verify"],
                "sampling": sampling_settings(config["sampling"]),
                "reflection": sampling_settings(config["reflection"]),
            }
        ),
        eval_sets=lambda w, input: ",".join(input.eval_sets),
    threads: config["generation"]["threads"]
    resources:
        gpu=job_gpus("generate"),
        mem_mb=job_mem_mb("generate"),
    conda:
        "../../envs/generation.yaml"
    log:
        f"{RESULTS}/logs/base_card.log",
    benchmark:
        f"{RESULTS}/benchmarks/base_card.tsv"
    shell:
        stage_shell("base_card", "--eval-sets {params.eval_sets} --output {output}")

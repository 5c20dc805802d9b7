rule build_sft_data:
    input:
        reflections=rules.sample_reflections.output.reflections,
        tasks=[task_file(name) for name in TASK_SETS],
        model=model_input("base", "base"),
    output:
        data=expand(f"{RESULTS}/sft_data/{{dataset}}.jsonl", dataset=config["sft_data"]),
        stats=expand(f"{RESULTS}/sft_data/{{dataset}}.stats.json", dataset=config["sft_data"]),
        summary=report(f"{RESULTS}/sft_data/summary.csv", caption="../report/sft_data.rst", category="Data"),
    params:
        json=lambda w: as_json(
            {
                "seed": config["seed"],
                **model_params("base", "base"),
                "sft_data": config["sft_data"],
                "prompt_template": set_template(config["train_set"]),
                "candidates": {
                    "styles": list(config["prompts"]["styles"]),
                    "samples_per_style": config["sampling"]["samples_per_style"],
                },
                "replay": replay_params(),
            }
        ),
        tasks=lambda w, input: ",".join(input.tasks),
        outdir=lambda w, output: os.path.dirname(output.data[0]),
    conda:
        "../../envs/training.yaml"
    priority: 50
    log:
        f"{RESULTS}/logs/build_sft_data.log",
    shell:
        stage_shell(
            "build_sft_data", "--reflections {input.reflections} --tasks {params.tasks} --outdir {params.outdir}"
        )

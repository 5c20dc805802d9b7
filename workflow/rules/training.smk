rule train_sft:
    input:
        data=f"{RESULTS}/sft_data/{{dataset}}.jsonl",
        model=model_input("base", "base"),
    output:
        directory(f"{RESULTS}/models/sft/{{dataset}}"),
    params:
        json=lambda w: as_json(
            {
                "seed": config["seed"],
                "threads": config["threads"],
                **model_params("base", "base"),
                "recipe": config["sft"],
            }
        ),
    threads: config["threads"]
    conda:
        "../../envs/ml.yaml"
    log:
        f"{RESULTS}/logs/train_sft/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_sft/{{dataset}}.tsv"
    shell:
        "python -m skillfactory.train_sft --data {input.data} --output {output} --params {params.json:q} > {log} 2>&1"


rule train_grpo:
    input:
        questions=task_file("train"),
        model=lambda w: model_input(*arm_init(w.arm)),
    output:
        directory(f"{RESULTS}/models/rl/{{arm}}"),
    params:
        json=lambda w: as_json(
            {
                "seed": config["seed"],
                "threads": config["threads"],
                **model_params(*arm_init(w.arm)),
                "recipe": config["grpo"],
                "prompt_template": set_template(config["train_set"]),
            }
        ),
    threads: config["threads"]
    conda:
        "../../envs/ml.yaml"
    log:
        f"{RESULTS}/logs/train_grpo/{{arm}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_grpo/{{arm}}.tsv"
    shell:
        "python -m skillfactory.train_grpo --questions {input.questions} --output {output}"
        " --params {params.json:q} > {log} 2>&1"

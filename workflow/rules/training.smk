rule train_sft:
    input:
        data=f"{RESULTS}/sft_data/{{dataset}}.jsonl",
        model=model_input("base", "base"),
    output:
        directory(f"{RESULTS}/models/sft/{{dataset}}/seed{{seed}}"),
    params:
        json=lambda w: as_json(
            {
                "seed": int(w.seed),
                "threads": config["fine_tuning_threads"],
                **model_params("base", "base"),
                "recipe": config["sft"],
                "replay_untrained_ends": config["sft_replay"]["untrained_ends"],
            }
        ),
        checkpoints=lambda w: checkpoint_dir(f"train_sft/{w.dataset}/seed{w.seed}"),
    threads: config["fine_tuning_threads"]
    resources:
        gpu=job_gpus("train"),
        mem_mb=job_mem_mb("train"),
    conda:
        "../../envs/training.yaml"
    priority: 40
    log:
        f"{RESULTS}/logs/train_sft/{{dataset}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_sft/{{dataset}}/seed{{seed}}.tsv"
    shell:
        stage_shell(
            "train_sft",
            "--data {input.data} --output {output} --checkpoints {params.checkpoints}",
            train_launcher(),
        )


rule train_grpo:
    input:
        questions=task_file(RL_SET),
        model=lambda w: model_input(*arm_init(w.arm), w.seed),
    output:
        directory(f"{RESULTS}/models/rl/{{arm}}/seed{{seed}}"),
    params:
        json=lambda w: as_json(
            {
                "seed": int(w.seed),
                "threads": config["fine_tuning_threads"],
                **model_params(*arm_init(w.arm), w.seed),
                "recipe": config["grpo"],
                "prompt_template": set_template(question_sets()[RL_SET]),
            }
        ),
        checkpoints=lambda w: checkpoint_dir(f"train_grpo/{w.arm}/seed{w.seed}"),
    threads: config["fine_tuning_threads"]
    resources:
        gpu=job_gpus("train"),
        mem_mb=job_mem_mb("train"),
    conda:
        "../../envs/grpo-vllm.yaml" if config["grpo"]["backend"] == "vllm" else "../../envs/training.yaml"
    priority: 30
    log:
        f"{RESULTS}/logs/train_grpo/{{arm}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_grpo/{{arm}}/seed{{seed}}.tsv"
    shell:
        stage_shell(
            "train_grpo",
            "--questions {input.questions} --output {output} --checkpoints {params.checkpoints}",
            train_launcher(),
        )

if pretrains_base():

    rule pretrain_base:
        input:
            # the questions the corpus leaves out; GRPO's own may appear, so that a new RL set retrains nothing
            tasks=[task_file(name) for name in [*config["eval_sets"], "train"]],
        output:
            directory(BASE_DIR),
        params:
            json=lambda w: as_json(
                {
                    "seed": config["seed"],
                    "threads": config["threads"],
                    "pretrain": config["pretrain"],
                    "countdown": config["task_params"]["countdown"],
                    "prompts": config["prompts"],
                    "ood_sets": ood_sets(),
                }
            ),
            tasks=lambda w, input: ",".join(input.tasks),
            checkpoints=checkpoint_dir("pretrain_base"),
        threads: config["threads"]
        resources:
            gpu=job_gpus("train"),
            mem_mb=job_mem_mb("train"),
        conda:
            "../../envs/training.yaml"
        log:
            f"{RESULTS}/logs/pretrain_base.log",
        benchmark:
            f"{RESULTS}/benchmarks/pretrain_base.tsv"
        shell:
            stage_shell(
                "pretrain_base",
                "--tasks {params.tasks} --output {output} --checkpoints {params.checkpoints}",
                train_launcher(),
            )

# Local: GSM8K and CommonsenseQA come from the hub, which cluster compute nodes may not reach.
localrules:
    generate_tasks,


rule generate_tasks:
    output:
        [task_file(name) for name in TASK_SETS],
    params:
        json=lambda w: as_json(
            {
                "seed": config["seed"],
                "task_params": {
                    task: config["task_params"][task]
                    for task in sorted({s["task"] for s in question_sets().values()})
                },
                "train_set": config["train_set"],
                "rl_set": config["rl_set"],
                "eval_sets": config["eval_sets"],
            }
        ),
        outdir=lambda w, output: os.path.dirname(output[0]),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/generate_tasks.log",
    shell:
        stage_shell("generate_tasks", "--outdir {params.outdir}")

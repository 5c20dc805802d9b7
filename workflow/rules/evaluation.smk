# Evaluation of every model and seed on every evaluation set, and budget forcing of the configured stages.

rule evaluate:
    input:
        eval_sets=[task_file(name) for name in config["eval_sets"]],
        model=lambda w: model_input(w.stage, w.name, w.seed),
    output:
        responses=f"{RESULTS}/eval/{{stage}}/{{name}}/seed{{seed}}/responses.jsonl",
        scores=scores_file("{stage}", "{name}", "{seed}"),
        metrics=f"{RESULTS}/eval/{{stage}}/{{name}}/seed{{seed}}/metrics.csv",
    params:
        json=lambda w: as_json(
            {**model_run_params(w, config["eval_sets"]), "sampling": sampling_settings(config["evaluation"])}
        ),
        eval_sets=lambda w, input: ",".join(input.eval_sets),
    threads: config["generation"]["threads"]
    resources:
        gpu=job_gpus("generate"),
        mem_mb=job_mem_mb("generate"),
    conda:
        "../../envs/generation.yaml"
    log:
        f"{RESULTS}/logs/evaluate/{{stage}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{stage}}/{{name}}/seed{{seed}}.tsv"
    shell:
        stage_shell(
            "evaluate",
            "--eval-sets {params.eval_sets} --responses {output.responses} --scores {output.scores} --metrics {output.metrics}",
        )


rule budget_forcing:
    input:
        eval_sets=[task_file(name) for name in BUDGET["eval_sets"]],
        evaluation=rules.evaluate.output.responses,
        model=lambda w: model_input(w.stage, w.name, w.seed),
    output:
        responses=f"{RESULTS}/budget_forcing/{{stage}}/{{name}}/seed{{seed}}/responses.jsonl",
        scores=budget_scores_file("{stage}", "{name}", "{seed}"),
    params:
        json=lambda w: as_json(
            {
                **model_run_params(w, BUDGET["eval_sets"]),
                "sampling": {key: config["evaluation"][key] for key in ("temperature", "top_p")},
                "budget_forcing": {key: BUDGET[key] for key in ("n_questions", "rounds", "phrase", "max_new_tokens")},
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
        f"{RESULTS}/logs/budget_forcing/{{stage}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/budget_forcing/{{stage}}/{{name}}/seed{{seed}}.tsv"
    shell:
        stage_shell(
            "budget_forcing",
            "--eval-sets {params.eval_sets} --evaluation {input.evaluation} --responses {output.responses} "
            "--scores {output.scores}",
        )

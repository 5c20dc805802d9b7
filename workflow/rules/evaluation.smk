rule evaluate:
    input:
        eval_sets=[task_file(name) for name in config["eval_sets"]],
        model=lambda w: model_input(w.stage, w.name),
    output:
        responses=f"{RESULTS}/eval/{{stage}}/{{name}}/responses.jsonl",
        metrics=f"{RESULTS}/eval/{{stage}}/{{name}}/metrics.csv",
    params:
        json=lambda w: as_json(
            {
                **generation_params(),
                **model_params(w.stage, w.name),
                "label": "base" if w.stage == "base" else f"{w.stage}/{w.name}",
                "templates": {name: set_template(spec) for name, spec in config["eval_sets"].items()},
                "samples_per_question": config["evaluation"]["samples_per_question"],
                "sampling": sampling_settings(config["evaluation"]),
            }
        ),
        eval_sets=lambda w, input: ",".join(input.eval_sets),
    threads: config["threads"]
    conda:
        "../../envs/ml.yaml"
    log:
        f"{RESULTS}/logs/evaluate/{{stage}}/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{stage}}/{{name}}.tsv"
    shell:
        "python -m skillfactory.evaluate --eval-sets {params.eval_sets} --responses {output.responses}"
        " --metrics {output.metrics} --params {params.json:q} > {log} 2>&1"

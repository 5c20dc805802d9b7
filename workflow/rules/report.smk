rule make_tables:
    input:
        [metrics_file(stage, name) for stage, name in evaluated_models()],
    output:
        csv=report(
            f"{RESULTS}/tables/accuracy.csv",
            caption="../report/accuracy_table.rst",
            category="Tables",
        ),
        markdown=report(
            f"{RESULTS}/tables/accuracy.md",
            caption="../report/accuracy_table.rst",
            category="Tables",
        ),
    params:
        metrics=lambda w, input: ",".join(input),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/make_tables.log",
    shell:
        "python -m skillfactory.make_tables --metrics {params.metrics} --csv {output.csv}"
        " --markdown {output.markdown} > {log} 2>&1"


rule make_figures:
    input:
        table=rules.make_tables.output.csv,
    output:
        report(
            f"{RESULTS}/figures/accuracy.png",
            caption="../report/accuracy_figure.rst",
            category="Figures",
        ),
    params:
        json=lambda w: as_json({"train_task": config["train_set"]["task"]}),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/make_figures.log",
    shell:
        "python -m skillfactory.make_figures --table {input.table} --figure {output} --params {params.json:q}"
        " > {log} 2>&1"

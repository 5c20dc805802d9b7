# Tables, figures and findings: every one a report item whose caption names the paper's claim it tests.

# table name -> (report category, caption file); each is written as CSV, Markdown, LaTeX and HTML (the report shows
# the HTML page)
REPORT_TABLES = {
    "claims": ("Findings", "claims_table.rst"),
    "generalisation": ("Claim 1: harder Countdown", "generalisation_table.rst"),
    "accuracy": ("Claim 1: harder Countdown", "accuracy_table.rst"),
    "skills": ("Claim 2: skill use", "skills_table.rst"),
    "ood_change": ("Claim 3: out of domain", "ood_table.rst"),
    "budget_forcing": ("Budget forcing", "budget_table.rst"),
}
REPORT_FIGURES = {
    "generalisation": ("Claim 1: harder Countdown", "generalisation_figure.rst"),
    "skills": ("Claim 2: skill use", "skills_figure.rst"),
    "ood_change": ("Claim 3: out of domain", "ood_figure.rst"),
    "budget_forcing": ("Budget forcing", "budget_figure.rst"),
    "training_curves": ("Training", "training_curves.rst"),
}
TABLES_DIR = f"{RESULTS}/tables"
FIGURES_DIR = f"{RESULTS}/figures"


rule make_tables:
    input:
        scores=[scores_file(*model) for model in evaluated_models()],
        budget_scores=[budget_scores_file(*model) for model in budget_forced_models()],
    output:
        data=expand(f"{TABLES_DIR}/{{table}}.{{ext}}", table=REPORT_TABLES, ext=("csv", "md", "tex")),
        pages=[
            report(f"{TABLES_DIR}/{table}.html", caption=f"../report/{caption}", category=category, labels={"table": table})
            for table, (category, caption) in REPORT_TABLES.items()
        ],
    params:
        json=lambda w: as_json(
            {"seed": config["seed"], "analysis": config["analysis"], "arms": arm_models(), **analysis_sets()}
        ),
        scores=lambda w, input: ",".join(input.scores),
        budget_scores=lambda w, input: ",".join(input.budget_scores),
        out_dir=lambda w, output: os.path.dirname(output.pages[0]),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/make_tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/make_tables.tsv"
    shell:
        stage_shell(
            "make_tables",
            "--scores {params.scores} --budget-scores {params.budget_scores:q} --out-dir {params.out_dir}",
        )


rule make_figures:
    input:
        tables=rules.make_tables.output.data,
        runs=[model_path(*model) for model in evaluated_models() if model[0] != "base"],
    output:
        [
            report(f"{FIGURES_DIR}/{figure}.png", caption=f"../report/{caption}", category=category, labels={"figure": figure})
            for figure, (category, caption) in REPORT_FIGURES.items()
        ],
    params:
        json=lambda w: as_json(
            {
                "arms": arm_models(),
                "budget_sets": BUDGET["eval_sets"],
                "train_n_numbers": n_numbers(config["train_set"]),
            }
        ),
        curves=lambda w, input: ",".join(f"{run}/curves.csv" for run in input.runs),
        tables=lambda w, input: os.path.dirname(input.tables[0]),
        out_dir=lambda w, output: os.path.dirname(output[0]),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/make_figures.log",
    shell:
        stage_shell("make_figures", "--tables {params.tables} --curves {params.curves:q} --out-dir {params.out_dir}")


rule findings:
    input:
        claims=f"{TABLES_DIR}/claims.csv",
        generalisation=f"{TABLES_DIR}/generalisation.csv",
    output:
        markdown=f"{RESULTS}/findings.md",
        page=report(f"{RESULTS}/findings.html", caption="../report/findings.rst", category="Findings"),
    params:
        json=lambda w: as_json(
            {
                "seeds": config["seeds"],
                "ci_level": config["analysis"]["ci_level"],
                "bootstrap_resamples": config["analysis"]["bootstrap_resamples"],
                "training_sets": training_size_sets(),
            }
        ),
    conda:
        "../../envs/analysis.yaml"
    log:
        f"{RESULTS}/logs/findings.log",
    shell:
        stage_shell(
            "findings",
            "--claims {input.claims} --generalisation {input.generalisation} --markdown {output.markdown} "
            "--html {output.page}",
        )

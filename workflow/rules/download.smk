# A hub base model is downloaded once, on the host that runs Snakemake: cluster compute nodes may have no internet.
if config["base_model"]["hub_id"] is not None:

    localrules:
        download_base_model,

    rule download_base_model:
        output:
            directory(BASE_DIR),
        params:
            json=lambda w: as_json({key: config["base_model"][key] for key in ("hub_id", "revision")}),
        conda:
            "../../envs/training.yaml"
        log:
            f"{RESULTS}/logs/download_base_model.log",
        shell:
            stage_shell("download_base_model", "--output {output}")

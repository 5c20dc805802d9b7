if config["base_model"]["hub_id"] is None and config["base_model"]["gguf"] is not None:

    rule convert_gguf:
        output:
            directory(BASE_DIR),
        params:
            json=lambda w: as_json({"gguf": config["base_model"]["gguf"], "threads": config["threads"]}),
        threads: config["threads"]
        conda:
            "../../envs/convert.yaml"
        log:
            f"{RESULTS}/logs/convert_gguf.log",
        shell:
            stage_shell("convert_gguf", "--output {output}")

"""Validation of the workflow configuration, run by the Snakefile before any job is planned.

The JSON schema checks types, ranges and unknown or missing keys; :func:`cross_checks` adds the rules that relate
two keys. Every error names the offending key as a dotted path, so that a typo is found without reading code.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsonschema
import yaml

from skillfactory.traces import dataset_styles, style_quota


class ConfigError(ValueError):
    """The configuration does not match the schema or its cross-key rules."""


def _path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Readable schema violations, each prefixed with the key it concerns."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    # When a shared sub-schema (allOf) fails, its keys also count as "unevaluated": that second error only repeats
    # the first, so it is shown only when it is the sole problem of its object.
    failing = {_path(e) for e in errors if e.validator != "unevaluatedProperties"}
    return [
        f"config key '{_path(e)}': {e.message}"
        for e in errors
        if e.validator != "unevaluatedProperties" or not any(f.startswith(_path(e)) for f in failing)
    ]


def cross_checks(config: dict) -> list[str]:
    """Rules between keys that a JSON schema cannot express."""
    errors = []
    grpo = config["grpo"]
    if grpo["batch_size"] % grpo["num_generations"]:
        errors.append("config key 'grpo.batch_size': must be a multiple of grpo.num_generations")
    if config["prompts"]["main_style"] not in config["prompts"]["styles"]:
        errors.append("config key 'prompts.main_style': must name one of prompts.styles")
    pretrain = config["pretrain"]
    if len(pretrain["p_careful"]) != len(pretrain["attempt_n_numbers"]):
        errors.append("config key 'pretrain.p_careful': needs one entry per pretrain.attempt_n_numbers")
    if not set(pretrain["style_openings"]) <= set(config["prompts"]["styles"]):
        errors.append("config key 'pretrain.style_openings': keys must name prompts.styles")
    for style, template in pretrain["style_openings"].items():
        try:
            template.format(target=0, numbers="")
        except (KeyError, IndexError, ValueError):
            errors.append(
                f"config key 'pretrain.style_openings.{style}': only {{target}} and {{numbers}} may be filled in"
            )
    if pretrain["model"]["hidden_size"] % pretrain["model"]["num_heads"]:
        errors.append("config key 'pretrain.model.num_heads': must divide pretrain.model.hidden_size")
    if pretrain["train"]["lora"] is not None:
        errors.append("config key 'pretrain.train.lora': must be null (adapters need pretrained weights)")
    unknown = [name for name in config["evaluation"]["sets"] if name not in config["eval_sets"]]
    if unknown:
        errors.append(f"config key 'evaluation.sets': {unknown} not defined in eval_sets")
    if config["base_card"]["verify_set"] not in config["evaluation"]["sets"]:
        errors.append("config key 'base_card.verify_set': must name one of evaluation.sets")
    datasets = config["sft_data"]
    for name, spec in datasets.items():
        if spec["kind"] == "star" and datasets.get(spec["match_rows"], {}).get("kind") != "traces":
            errors.append(f"config key 'sft_data.{name}.match_rows': must name a traces dataset in sft_data")
        if spec["kind"] == "traces":
            all_styles = list(config["prompts"]["styles"])
            styles = dataset_styles(spec, all_styles)
            if not set(styles) <= set(all_styles):
                errors.append(f"config key 'sft_data.{name}.styles': must be null or names from prompts.styles")
            elif spec["min_kept_answers"] > len(styles) * style_quota(
                spec, all_styles, config["sampling"]["samples_per_style"]
            ):
                errors.append(
                    f"config key 'sft_data.{name}.min_kept_answers': more than the samples per question of its styles"
                )
    arms = selected_arms(config)
    for arm, spec in arms.items():
        if spec["sft_data"] is not None and spec["sft_data"] not in datasets:
            errors.append(f"config key 'arms.{arm}.sft_data': must be null or a dataset in sft_data")
    if not set(config["evaluation"]["budget_forcing"]["eval_sets"]) <= set(config["evaluation"]["sets"]):
        errors.append("config key 'evaluation.budget_forcing.eval_sets': must name sets of evaluation.sets")
    for role in ("skillfactory_arm", "baseline_arm"):
        if config["analysis"][role] not in arms:
            errors.append(f"config key 'analysis.{role}': must name one of arms that is not null")
    if not set(config["sft_replay"]["styles"] or []) <= set(config["prompts"]["styles"]):
        errors.append("config key 'sft_replay.styles': must be null or names from prompts.styles")
    question_sets = {"train_set": config["train_set"], "rl_set": config["rl_set"], **config["eval_sets"]}
    for name, spec in {k: v for k, v in question_sets.items() if v is not None}.items():
        if spec["task"] not in config["task_params"]:
            errors.append(f"config key '{name}.task': no task_params for task {spec['task']!r}")
    return errors


def selected_arms(config: dict) -> dict:
    """The RL arms a run trains: every entry of ``arms`` that is not null (null leaves an arm of the config it is
    merged on out, e.g. to give only the two arms that claims 1 and 3 compare a long GRPO budget)."""
    return {arm: spec for arm, spec in config["arms"].items() if spec is not None}


def selected_eval_sets(config: dict) -> dict:
    """The evaluation sets a run uses: those ``evaluation.sets`` names, in its order (``eval_sets`` may hold more,
    merged in from another config file)."""
    return {name: config["eval_sets"][name] for name in config["evaluation"]["sets"]}


def typed_overrides(value):
    """``--config`` values read as a config file reads them: Snakemake parses a nested value (``seeds=[0,1,2]``,
    ``grpo={max_steps: 24}``) with YAML's base loader, which keeps every scalar a string, so each non-empty string is
    read again with :func:`yaml.safe_load` where that gives a number, a boolean or null."""
    if isinstance(value, Mapping):
        return {key: typed_overrides(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed_overrides(item) for item in value]
    if isinstance(value, str) and value:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        return parsed if parsed is None or isinstance(parsed, (bool, int, float)) else value
    return value


def validate_config(config: dict, schema_path: str) -> None:
    """Raise :class:`ConfigError` listing every problem; cross-key rules run only on a schema-valid config."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    errors = schema_errors(config, schema) or cross_checks(config)
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))

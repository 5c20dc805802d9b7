"""The config schema documents every key, matches the nano default, and rejects bad configs by key name."""

import copy

import pytest
from snakemake.cli import parse_config
from snakemake.utils import update_config

from support import ROOT, SCHEMA, load_script, load_yaml
from skillfactory.config import ConfigError, selected_eval_sets, typed_overrides, validate_config

DEFAULT = load_yaml(ROOT / "config" / "config.yaml")


def merged_with(overrides):
    """The default with ``overrides`` merged key by key, as Snakemake's --configfile merges."""
    config = copy.deepcopy(DEFAULT)
    update_config(config, overrides)
    return config


def merged(name):
    return merged_with(load_yaml(ROOT / "config" / f"{name}.yaml"))


def walk_properties(node, path=""):
    """Yield (dotted path, schema) for every named property in the schema, through $defs, allOf and if/then."""
    for key, sub in node.get("properties", {}).items():
        yield f"{path}.{key}".lstrip("."), sub
        yield from walk_properties(sub, f"{path}.{key}")
    for keyword in ("then", "else", "additionalProperties"):
        if isinstance(node.get(keyword), dict):
            yield from walk_properties(node[keyword], f"{path}.*")
    for sub in node.get("allOf", []):
        yield from walk_properties(sub, path)


def resolve(schema, node):
    ref = node.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def test_every_key_has_description_and_default():
    """A section whose keys are all listed gets its default from theirs; every other key states its own."""
    schema = load_yaml(SCHEMA)
    nodes = list(walk_properties(schema)) + [
        (f"$defs.{name}.{path}", sub) for name, d in schema["$defs"].items() for path, sub in walk_properties(d)
    ]
    assert len(nodes) > 60
    missing = [
        path
        for path, node in nodes
        if "description" not in node or ("default" not in node and "properties" not in resolve(schema, node))
    ]
    assert not missing, f"keys without description or default: {missing}"


def test_defaults_are_the_nano_config():
    schema = load_yaml(SCHEMA)

    def default_of(node):
        if "default" in node:
            return node["default"]
        node = resolve(schema, node)
        return {key: default_of(sub) for key, sub in node["properties"].items()}

    assert {key: default_of(node) for key, node in schema["properties"].items()} == DEFAULT


@pytest.mark.parametrize("name", ["smoke", "paper", "smollm", "seeds3", "long_rl"])
def test_shipped_configs_are_valid(name):
    validate_config(DEFAULT, str(SCHEMA))
    validate_config(merged(name), str(SCHEMA))


@pytest.mark.parametrize("stage", ["sft", "rl"])
def test_sweep_variants_are_valid(stage):
    """benchmarks/sweep.py merges each variant onto the default as --configfile does; a key renamed in the schema
    must not leave a variant that fails only when someone runs it."""
    variants = load_yaml(ROOT / "benchmarks" / "sweeps" / f"{stage}.yaml")
    assert variants
    for name, overrides in variants.items():
        try:
            validate_config(merged_with(overrides or {}), str(SCHEMA))
        except ConfigError as error:
            pytest.fail(f"sweep variant {name}: {error}")


def test_rl_sweep_starts_each_arm_from_its_own_starting_model():
    """benchmarks/sweep.py compares an RL arm with the model its GRPO starts from: the base model for RL-only, the
    SFT model of the arm's dataset otherwise."""
    rl_models = load_script("sweep").rl_models
    assert rl_models("rl_only") == [("base", "base"), ("rl", "rl_only")]
    assert rl_models("single_prompt") == [("sft", "single_prompt"), ("rl", "single_prompt")]


def test_each_scale_evaluates_exactly_the_sets_it_names():
    """Config files merge key by key, so the paper config's eval_sets keep the nano sets it does not override; the
    run uses only those evaluation.sets names."""
    paper = merged("paper")
    assert "word_problems" in paper["eval_sets"]  # merged in from the nano default
    names = ["countdown3", "countdown4", "countdown5", "countdown6", "multiplication", "letter_countdown", "acronym",
             "gsm8k", "commonsense_qa"]
    assert list(selected_eval_sets(paper)) == names
    assert list(selected_eval_sets(merged("smoke"))) == list(selected_eval_sets(DEFAULT)) == list(DEFAULT["eval_sets"])


@pytest.mark.parametrize(
    "mutate, key",
    [
        (lambda c: c["grpo"].__setitem__("learning_rate", "fast"), "grpo.learning_rate"),
        (lambda c: c["sft"].__setitem__("epochz", 1), "epochz"),
        (lambda c: c.__setitem__("sed", 1), "sed"),
        (lambda c: c["sampling"].pop("temperature"), "temperature"),
        (lambda c: c["eval_sets"]["countdown3"].pop("n_questions"), "n_questions"),
        (lambda c: c["sft_data"]["star"].__setitem__("reflections", True), "reflections"),
        (lambda c: c["arms"]["star"].__setitem__("sft_data", "nothing"), "arms.star.sft_data"),
        (lambda c: c["grpo"].__setitem__("num_generations", 5), "grpo.batch_size"),
        (lambda c: c["prompts"].__setitem__("main_style", "poetry"), "prompts.main_style"),
        (lambda c: c["prompts"].__setitem__("verify", "no placeholders"), "prompts.verify"),
        (lambda c: c["sft_data"]["single_prompt"].__setitem__("styles", ["poetry"]), "sft_data.single_prompt.styles"),
        (lambda c: c["sft_data"]["single_prompt"].__setitem__("min_kept_answers", 17),
         "single_prompt.min_kept_answers"),
        (lambda c: c.__setitem__("seeds", []), "seeds"),
        (lambda c: c["evaluation"]["budget_forcing"].__setitem__("eval_sets", ["gsm9k"]), "budget_forcing.eval_sets"),
        (lambda c: c["evaluation"]["sets"].append("gsm9k"), "evaluation.sets"),
        (lambda c: c["analysis"].__setitem__("baseline_arm", "nothing"), "analysis.baseline_arm"),
        (lambda c: c["arms"].__setitem__("skillfactory", None), "analysis.skillfactory_arm"),
        (lambda c: c["pretrain"]["p_careful"].append(0.5), "pretrain.p_careful"),
        (lambda c: c["pretrain"]["style_openings"].__setitem__("poetry", ""), "pretrain.style_openings"),
        (lambda c: c["pretrain"]["style_openings"].__setitem__("plan", "{goal}"), "style_openings.plan"),
        (lambda c: c["sft_replay"].__setitem__("styles", ["poetry"]), "sft_replay.styles"),
        (lambda c: c["sft_replay"].__setitem__("share", 1.0), "sft_replay.share"),
        (lambda c: c["rl_set"].__setitem__("task", "chess"), "rl_set.task"),
    ],
)
def test_bad_config_names_the_key(mutate, key):
    config = copy.deepcopy(DEFAULT)
    mutate(config)
    with pytest.raises(ConfigError, match=key):
        validate_config(config, str(SCHEMA))


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("seeds=[0,1,2]", {"seeds": [0, 1, 2]}),
        ("grpo={max_steps: 24, learning_rate: 0.0001, lora: null, bf16: false}",
         {"grpo": {"max_steps": 24, "learning_rate": 0.0001, "lora": None, "bf16": False}}),
        ("evaluation={sets: [countdown3], budget_forcing: {phrase: 'Wait: 2 more.'}}",
         {"evaluation": {"sets": ["countdown3"], "budget_forcing": {"phrase": "Wait: 2 more."}}}),
        ("base_model=results/models/base", {"base_model": "results/models/base"}),
        ("pretrain={style_openings: {original: ''}}", {"pretrain": {"style_openings": {"original": ""}}}),
    ],
)
def test_command_line_values_are_read_as_a_config_file_reads_them(entry, expected):
    """Snakemake's own --config parser keeps nested scalars as strings; the workflow reads them as YAML does."""
    assert typed_overrides(parse_config([entry])) == expected


def test_the_paper_config_holds_the_authors_released_settings():
    """The values of the authors' SFT template and verl command (see docs/cluster.md for what they leave open)."""
    paper = merged("paper")
    sft, grpo = paper["sft"], paper["grpo"]
    assert {key: sft[key] for key in ("batch_size", "gradient_accumulation_steps", "epochs", "learning_rate")} == {
        "batch_size": 1, "gradient_accumulation_steps": 1, "epochs": 1, "learning_rate": 1e-6}
    assert {key: sft[key] for key in ("lr_scheduler", "warmup_ratio", "weight_decay", "max_length")} == {
        "lr_scheduler": "cosine", "warmup_ratio": 0.05, "weight_decay": 1e-4, "max_length": 16384}
    gpus = -(-paper["compute"]["model_parameters"] // paper["compute"]["train_parameters_per_gpu"])
    update = grpo["batch_size"] * grpo["gradient_accumulation_steps"] * gpus
    assert (gpus, grpo["num_generations"], update, grpo["generation_batch_size"]) == (4, 16, 32 * 16, 256 * 16)
    assert (grpo["loss_type"], grpo["beta"], grpo["weight_decay"], grpo["learning_rate"]) == ("dapo", 0.0, 0.01, 1e-6)
    assert (grpo["max_completion_length"], grpo["backend"]) == (4096, "vllm")
    assert paper["task_params"]["acronym"]["keep_order"]
    assert paper["evaluation"]["samples_per_question"] == 4 and paper["evaluation"]["max_new_tokens"] == 16384

"""The conda environments, checked without conda (it cannot be installed on the development machines).

Every rule declares an environment file that exists; every file is well formed, pins what requirements.txt pins
to the same version (documented exceptions aside); and each environment provides every third-party module its
rules' stage imports, found by following the package's imports and the installed distributions' requirements.
Where conda exists, ``snakemake --sdm conda --conda-create-envs-only`` builds them for real (a long test).
"""

import ast
import importlib.metadata as metadata
import re
import shutil
import sys
from functools import cache
from pathlib import Path

import pytest
from accelerate.commands.config.config_args import load_config_from_file
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from skillfactory.fingerprint import module_closure, module_path
from support import ROOT, copy_workflow, load_yaml, snakemake

ENV_FILES = sorted((ROOT / "envs").glob("*.yaml")) + [ROOT / "environment.yml"]
# Pins that differ from requirements.txt on purpose, with the reason (also stated in the environment file).
PIN_EXCEPTIONS = {
    ("generation.yaml", "transformers"): "vllm 0.32.0 requires transformers<5.20",
    ("grpo-vllm.yaml", "transformers"): "vllm 0.31.0, the newest TRL 1.16 accepts, requires transformers<5.18",
}
RULE = re.compile(r"^\s*rule (\w+):\n(.*?)(?=^\s*rule \w+:|\Z)", re.M | re.S)


def pip_requirements(env: dict) -> list[Requirement]:
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return [Requirement(line) for line in (pips[0] if pips else []) if not line.startswith("-")]


def requirements_file(name: str) -> dict[str, Requirement]:
    lines = (ROOT / name).read_text().splitlines()
    specs = [line.split("#")[0] for line in lines if not line.startswith("-")]
    reqs = [Requirement(spec) for spec in specs if spec.strip()]
    return {canonicalize_name(r.name): r for r in reqs}


PINNED = {**requirements_file("requirements.txt"), **requirements_file("requirements-test.txt"),
          **requirements_file("requirements-smollm.txt")}


def rules() -> dict[str, dict]:
    """Every rule of workflow/rules/*.smk: the environment files its conda directive may choose (one, or one per
    backend) and the stage module its shell command runs."""
    found = {}
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for name, body in RULE.findall(smk.read_text()):
            conda = re.search(r"conda:\s*\n(.*)", body)
            module = re.search(r"stage_shell\(\s*\"(\w+)\"", body)
            found[name] = {
                "envs": [(smk.parent / path).resolve() for path in re.findall(r"\"([^\"]+\.yaml)\"", conda.group(1))]
                if conda else [],
                "module": module.group(1) if module else None,
            }
    return found


@cache
def providers() -> dict[str, list[str]]:
    """Top-level module name to the installed distributions that provide it."""
    return metadata.packages_distributions()


@cache
def imported_distributions(name: str) -> frozenset[str]:
    """Third-party distributions that package module ``name`` imports, directly or through the package (the
    modules of its code fingerprint), with imports inside functions included (hub datasets are imported only when
    used)."""
    third_party = set()
    for module in module_closure(ROOT, name):
        for node in ast.walk(ast.parse(module_path(ROOT, module).read_text())):
            if isinstance(node, ast.Import):
                tops = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = {node.module.split(".")[0]}
            else:
                continue
            for top in tops - {"skillfactory", "__future__"}:
                if top not in sys.stdlib_module_names:
                    third_party.update(canonicalize_name(d) for d in providers().get(top, [top]))
    return frozenset(third_party)


@cache
def closure(distribution: str) -> frozenset[str]:
    """A distribution with everything it requires (unconditionally), as installed here; a distribution that is not
    installed here (vllm) stands for itself."""
    result, todo = set(), [canonicalize_name(distribution)]
    while todo:
        name = todo.pop()
        if name in result:
            continue
        result.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return frozenset(result)


def provided(env_file: Path) -> set[str]:
    env = load_yaml(env_file)
    names = {canonicalize_name(r.name) for r in pip_requirements(env)}
    names |= {canonicalize_name(re.split(r"[=<> ]", d)[0]) for d in env["dependencies"] if isinstance(d, str)}
    return set().union(*(closure(n) for n in names))


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_environment_file_is_well_formed_and_pinned_like_requirements(env_file):
    env = load_yaml(env_file)
    assert env["name"].startswith("skillfactory")
    assert env["channels"][0] == "conda-forge"
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    for req in pip_requirements(env):
        name = canonicalize_name(req.name)
        if (env_file.name, name) in PIN_EXCEPTIONS:
            continue
        expected = PINNED.get(name)
        if expected is None:
            assert str(req.specifier).startswith("=="), f"{env_file.name}: pin {req.name}"
        else:
            assert req.specifier == expected.specifier, f"{env_file.name}: {req} but requirements say {expected}"


def test_every_rule_declares_an_existing_environment():
    found = rules()
    assert {"train_grpo", "evaluate", "make_tables", "convert_gguf"} <= set(found)
    for name, rule in found.items():
        assert rule["envs"], f"rule {name} has no conda: directive"
        for env in rule["envs"]:
            assert env.exists(), f"rule {name}: {env} does not exist"
        assert rule["module"], f"rule {name} runs no skillfactory stage"
    assert [env.name for env in found["train_grpo"]["envs"]] == ["grpo-vllm.yaml", "training.yaml"]


@pytest.mark.parametrize("rule, env", [(r, e) for r, spec in sorted(rules().items()) for e in spec["envs"]],
                         ids=lambda x: getattr(x, "name", x))
def test_rule_environment_provides_every_import_of_its_stage(rule, env):
    module = rules()[rule]["module"]
    missing = imported_distributions(f"skillfactory.stages.{module}") - provided(env)
    assert not missing, f"rule {rule} (skillfactory.stages.{module}) imports {sorted(missing)} not in {env.name}"


def test_driver_environment_provides_what_the_snakefile_imports():
    """The Snakefile imports only the config validation and the code fingerprints; Snakemake itself and its SLURM
    executor come along."""
    package = imported_distributions("skillfactory.config") | imported_distributions("skillfactory.fingerprint")
    needed = package | {"snakemake", "snakemake-executor-plugin-slurm"}
    assert not needed - provided(ROOT / "environment.yml")


@pytest.mark.parametrize("name", ["ddp", "fsdp"])
def test_accelerate_configs_load(name):
    config = load_config_from_file(str(ROOT / "config" / "accelerate" / f"{name}.yaml"))
    assert config.num_machines == 1 and config.main_process_port == 0


@pytest.mark.skipif(shutil.which("conda") is None, reason="conda is not installed (it cannot be, on these machines)")
def test_snakemake_creates_every_environment_with_conda(tmp_path):
    workdir = copy_workflow(tmp_path)
    result = snakemake(workdir, "--sdm", "conda", "--conda-create-envs-only", "--configfile", "config/paper.yaml")
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("profile", [[], ["--profile", "profiles/slurm"]], ids=["local", "slurm"])
def test_conda_jobs_keep_the_pythonpath_that_imports_the_package(profile, monkeypatch):
    """Jobs import skillfactory from the checkout through PYTHONPATH; Snakemake deletes it in conda jobs unless
    conda-not-block-search-path-envvars is set, which the workflow profile does for every run."""
    from snakemake.cli import parse_args

    monkeypatch.chdir(ROOT)
    _, args = parse_args(["--sdm", "conda", *profile, "-n"])
    assert args.conda_not_block_search_path_envvars

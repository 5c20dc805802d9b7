"""Code fingerprints of stages: they follow the package modules a stage imports and ignore what cannot change
behaviour (comments, docstrings, layout)."""

import shutil
import textwrap
from pathlib import Path

import pytest

from skillfactory.fingerprint import code_fingerprint, module_closure

MODULES = {
    "skillfactory/__init__.py": '"""The package."""\n',
    "skillfactory/stages/__init__.py": "",
    "skillfactory/stages/alpha.py": """
        \"\"\"Stage alpha.\"\"\"
        from skillfactory.tasks import get_task
        from ..helpers import double  # relative import


        def main():
            \"\"\"Run.\"\"\"
            from skillfactory import lazy  # imported only when main runs
            return double(get_task()) + lazy.VALUE
        """,
    "skillfactory/stages/beta.py": """
        import json

        import skillfactory.helpers


        def main():
            return json.dumps(skillfactory.helpers.double(1))
        """,
    "skillfactory/tasks/__init__.py": "from skillfactory.tasks.countdown import get_task\n",
    "skillfactory/tasks/countdown.py": "def get_task():\n    return 3\n",
    "skillfactory/helpers.py": "def double(x):\n    return 2 * x\n",
    "skillfactory/lazy.py": "VALUE = 1\n",
    "skillfactory/unused.py": "VALUE = 2\n",
}


@pytest.fixture
def tree(tmp_path) -> Path:
    for name, text in MODULES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return tmp_path


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_closure_follows_absolute_relative_lazy_and_package_imports(tree):
    closure = module_closure(tree, "skillfactory.stages.alpha")
    assert closure == sorted(
        [
            "skillfactory",
            "skillfactory.stages",
            "skillfactory.stages.alpha",
            "skillfactory.tasks",
            "skillfactory.tasks.countdown",
            "skillfactory.helpers",
            "skillfactory.lazy",
        ]
    )
    assert module_closure(tree, "skillfactory.stages.beta") == [
        "skillfactory",
        "skillfactory.helpers",
        "skillfactory.stages",
        "skillfactory.stages.beta",
    ]


@pytest.mark.parametrize(
    "name, old, new",
    [
        ("skillfactory/stages/alpha.py", '"""Run."""', '"""Run the stage, now with a longer docstring."""'),
        ("skillfactory/stages/alpha.py", "# relative import", "# a comment that says something else"),
        ("skillfactory/tasks/countdown.py", "    return 3\n", "\n    return (\n        3\n    )  # layout\n"),
        ("skillfactory/unused.py", "VALUE = 2", "VALUE = 3"),  # a module alpha does not import
    ],
)
def test_what_cannot_change_behaviour_keeps_the_fingerprint(tree, name, old, new):
    before = code_fingerprint(tree, "alpha")
    edit(tree, name, old, new)
    assert code_fingerprint(tree, "alpha") == before


@pytest.mark.parametrize(
    "name, old, new",
    [
        ("skillfactory/stages/alpha.py", "+ lazy.VALUE", "- lazy.VALUE"),
        ("skillfactory/tasks/countdown.py", "return 3", "return 4"),  # two imports away
        ("skillfactory/lazy.py", "VALUE = 1", "VALUE = 1\nOTHER = 0"),  # imported inside a function
        ("skillfactory/__init__.py", '"""The package."""', '"""The package."""\nimport os'),
    ],
)
def test_a_behaviour_change_in_any_imported_module_changes_the_fingerprint(tree, name, old, new):
    before = code_fingerprint(tree, "alpha")
    edit(tree, name, old, new)
    assert code_fingerprint(tree, "alpha") != before


def test_a_change_in_another_stages_code_leaves_this_stage_alone(tree):
    alpha, beta = code_fingerprint(tree, "alpha"), code_fingerprint(tree, "beta")
    edit(tree, "skillfactory/tasks/countdown.py", "return 3", "return 4")
    assert code_fingerprint(tree, "beta") == beta
    assert code_fingerprint(tree, "alpha") != alpha


def test_every_stage_of_the_package_has_a_fingerprint_that_covers_its_module():
    root = Path(__file__).resolve().parents[1]
    rules = sorted(p.stem for p in (root / "skillfactory" / "stages").glob("*.py") if p.stem != "__init__")
    assert len(rules) == 15
    for stage in rules:
        assert f"skillfactory.stages.{stage}" in module_closure(root, f"skillfactory.stages.{stage}")
        assert len(code_fingerprint(root, stage)) == 12
    assert "skillfactory.tasks.countdown" in module_closure(root, "skillfactory.stages.evaluate")
    assert "skillfactory.tasks.countdown" not in module_closure(root, "skillfactory.stages.make_figures")


def test_the_copy_of_a_checkout_has_the_same_fingerprints(tree, tmp_path_factory):
    copy = tmp_path_factory.mktemp("copy") / "tree"
    shutil.copytree(tree, copy)
    assert code_fingerprint(copy, "alpha") == code_fingerprint(tree, "alpha")

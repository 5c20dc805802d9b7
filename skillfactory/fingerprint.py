"""Fingerprints of a stage's code, so that Snakemake reruns exactly the jobs whose code changed.

Snakemake's ``code`` rerun trigger compares a rule's shell command, not the modules behind it; the workflow puts
each stage's fingerprint into that command (see ``stage_shell`` in workflow/rules/common.smk). A fingerprint covers
the stage module and every module of the package it imports, transitively (lazy imports inside functions included),
and hashes their syntax trees without docstrings: comments, docstrings and formatting change nothing. Third-party
code is the environment's business (pinned requirements and envs/), not this fingerprint's.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "skillfactory"


def module_path(root: Path, name: str) -> Path | None:
    """The source file of module ``name`` (a dotted name inside the package) under checkout ``root``, or None."""
    base = Path(root, *name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _parents(name: str) -> list[str]:
    """The packages whose ``__init__`` runs when ``name`` is imported: ``a.b.c`` -> ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@lru_cache(maxsize=None)
def _parsed(source: str) -> ast.Module:
    """The syntax tree of a module's source (cached by content: each stage's closure shares most modules)."""
    return ast.parse(source)


def _imported(root: Path, name: str) -> set[str]:
    """Package modules that module ``name`` imports anywhere in its body, with the packages that hold them."""
    path = module_path(root, name)
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(_parsed(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing module's package
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)  # `from pkg import module`
    inside = {m for m in found if m.split(".")[0] == PACKAGE and module_path(root, m)}
    return inside | {parent for m in inside for parent in _parents(m)}


def module_closure(root: Path, name: str) -> list[str]:
    """Module ``name`` and every package module it imports, directly or not, sorted."""
    seen, todo = set(), [name, *_parents(name)]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imported(root, module) - seen)
    return sorted(seen)


class _DropDocstrings(ast.NodeTransformer):
    """Removes the docstring of every module, class and function (behaviour does not depend on them)."""

    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
        return node

    visit_Module = visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _strip


@lru_cache(maxsize=None)
def source_digest(source: str) -> str:
    """Hash of a module's syntax tree without docstrings: blind to comments, docstrings and layout."""
    tree = _DropDocstrings().visit(ast.parse(source))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def code_fingerprint(root: Path | str, stage: str) -> str:
    """Fingerprint of stage ``stage`` (module ``skillfactory.stages.<stage>``) in checkout ``root``: 12 hex digits."""
    root = Path(root)
    digest = hashlib.sha256()
    for module in module_closure(root, f"{PACKAGE}.stages.{stage}"):
        digest.update(f"{module}:{source_digest(module_path(root, module).read_text())}\n".encode())
    return digest.hexdigest()[:12]

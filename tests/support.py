"""Shared paths and helpers of the test suite."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)

"""The shared command line of every stage: named input/output paths plus the stage's config section as JSON.

Rules pass their slice of the validated config with ``--params '<json>'`` so that Snakemake sees a change of exactly
those settings (``params`` rerun trigger) and nothing else; the same command runs by hand without Snakemake.
"""

from __future__ import annotations

import argparse
import json
import logging


def parse_stage_args(description: str, paths: list[str], argv=None) -> argparse.Namespace:
    """Parse ``--<path> VALUE`` for each name in ``paths`` and ``--params JSON`` into a namespace."""
    parser = argparse.ArgumentParser(description=description)
    for name in paths:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, required=True)
    parser.add_argument("--params", type=json.loads, default={}, help="the stage's config section as JSON")
    parser.add_argument("--code", help="fingerprint of the stage's code (skillfactory.fingerprint), for the log")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.code:
        logging.getLogger("stage").info("code fingerprint %s", args.code)
    return args

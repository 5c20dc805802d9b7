"""Stage ``download_base_model``: the configured hub model, pinned to its revision, copied into the base model folder.

Compute nodes of many clusters cannot reach the internet, so the workflow runs this stage on the submitting host (a
local rule) and every job after it reads only the folder. A hub id is fetched with ``huggingface_hub``'s
``snapshot_download``, which keeps its own cache by revision, so a second run or another checkout downloads nothing
again; a local folder given as ``hub_id`` is copied. Later stages cannot tell this folder from the nano model's.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from huggingface_hub import snapshot_download

from skillfactory.cli import parse_stage_args

log = logging.getLogger("download_base_model")


def fetch(hub_id: str, revision: str | None, output: str) -> None:
    """The model's files in ``output``: a copy of a local folder, or the hub repository at ``revision``."""
    if Path(hub_id).is_dir():
        shutil.copytree(hub_id, output)
    else:
        snapshot_download(repo_id=hub_id, revision=revision, local_dir=output)
    log.info("%s at %s in %s", hub_id, revision or "its files", output)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["output"], argv)
    fetch(args.params["hub_id"], args.params["revision"], args.output)


if __name__ == "__main__":
    main()

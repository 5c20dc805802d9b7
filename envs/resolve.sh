#!/usr/bin/env bash
# Check with pip's resolver, without installing anything, that the pip pins of a conda environment file resolve
# together for Linux x86_64 (glibc 2.31+) and Python 3.11, from PyPI only. Downloads the wheels it must inspect
# (vllm's is about 320 MB) into a temporary folder that is removed afterwards.
#   envs/resolve.sh envs/grpo-vllm.yaml
set -euo pipefail
env_file=${1:?usage: envs/resolve.sh ENV_FILE}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --isolated --upgrade pip pyyaml
mapfile -t pins < <("$work/venv/bin/python" -c '
import sys, yaml
deps = yaml.safe_load(open(sys.argv[1]))["dependencies"]
print("\n".join(next(d["pip"] for d in deps if isinstance(d, dict))))' "$env_file")
platforms=()
for minor in $(seq 31 -1 5); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
"$work/venv/bin/pip" install --isolated --no-cache-dir --dry-run --ignore-installed --only-binary=:all: \
    --python-version 3.11 "${platforms[@]}" --platform linux_x86_64 --target "$work/target" "${pins[@]}"

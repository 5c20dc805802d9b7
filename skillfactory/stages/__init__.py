"""Stage entry points: one module per Snakemake rule, of the same name, each run as ``python -m
skillfactory.stages.<rule>``; the libraries they share sit one level up in :mod:`skillfactory`."""

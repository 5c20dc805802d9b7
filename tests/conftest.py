"""Fixtures shared by test modules."""

import pytest

from support import SMOKE, copy_workflow, snakemake


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The smoke workflow run once per test session to completion, then the HTML report; the workflow tests and the
    report tests (tables, findings, the report in a browser) share it."""
    workdir = copy_workflow(tmp_path_factory.mktemp("smoke"))
    run = snakemake(workdir, *SMOKE)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    report = snakemake(workdir, *SMOKE, "--report", "results/report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    return workdir

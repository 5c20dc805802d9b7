# SkillFactory reproduction: one workflow from task generation to figures, tables and the HTML report.
# Scale is configuration only: config/config.yaml (nano default), config/smoke.yaml (tests), config/paper.yaml.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"


wildcard_constraints:
    stage="|".join(STAGES),
    name=r"[A-Za-z0-9_]+",
    dataset=r"[A-Za-z0-9_]+",
    arm=r"[A-Za-z0-9_]+",
    seed=r"\d+",


include: "workflow/rules/tasks.smk"
include: "workflow/rules/pretrain.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/convert.smk"
include: "workflow/rules/base_card.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/sft_data.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/report.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        final_targets(),

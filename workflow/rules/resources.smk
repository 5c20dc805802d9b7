# What each job asks of the machine, derived from config["compute"] and the model size: GPUs, host memory, and the
# launcher of training jobs. Scale lives in the config; site settings (partition, account, GPU model, run times) live
# in profiles/slurm/config.yaml, so the same config runs on a laptop, a workstation or a cluster.

import math

# Host memory of one process: a CPU training job holds fp32 weights, gradients and two AdamW moments (16 bytes a
# parameter); a GPU job stages its weights through host memory and needs less, so the same bound covers both.
BYTES_PER_PARAMETER = 16
BASE_MEM_MB = 4096  # interpreter, torch, tokenizer and data of one process


def job_gpus(kind):
    """GPUs of a ``train`` or ``generate`` job: enough for the model at ``compute.<kind>_parameters_per_gpu``, at
    most ``compute.max_gpus_per_job``; 0 (the job runs on CPU) when that key is null, as in the nano configs."""
    compute = config["compute"]
    per_gpu = compute[f"{kind}_parameters_per_gpu"]
    if per_gpu is None:
        return 0
    return min(math.ceil(compute["model_parameters"] / per_gpu), compute["max_gpus_per_job"])


def job_mem_mb(kind):
    """Host memory of a job in MB: one process per GPU (one on CPU), each holding a copy of the training state."""
    processes = max(1, job_gpus(kind))
    return BASE_MEM_MB + math.ceil(BYTES_PER_PARAMETER * config["compute"]["model_parameters"] * processes / 2**20)


def train_launcher():
    """The command before ``-m skillfactory.stages.<stage>`` of a training job: plain ``python`` on CPU; with GPUs,
    ``accelerate launch`` with one process per GPU on one node, so that a multi-GPU run is a single SLURM job."""
    gpus = job_gpus("train")
    if gpus == 0:
        return "python"
    accelerate_config = os.path.join(workflow.basedir, config["compute"]["accelerate_config"])
    return f"accelerate launch --config_file {accelerate_config} --num_processes {gpus}"

"""What a top-k cut changes in CTranslate2 sampling: tokens per second, and accuracy of the samples.

Run from the repository root after the base model exists:

    python benchmarks/bench_top_k.py [--model results/models/base] [--questions results/tasks/train.jsonl]
        [--samples 4] [--max-new-tokens 96] [--temperature 1.0] [--top-k 50 0] [--repeats 2]

Every engine samples from the whole distribution (top-k 0), as vLLM and the paper's verl do; transformers'
``generate`` would keep only the 50 most likely tokens. The script samples the self-sampling workload (each
question ``--samples`` times, main prompt style, one thread, batches of 64) once per cut and repeat, alternating the
cuts, and prints tokens per second and Countdown accuracy of each draw; nothing asserts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ctranslate2
import yaml

from skillfactory.ctranslate2_engine import convert
from skillfactory.io import read_jsonl
from skillfactory.modeling import load_tokenizer
from skillfactory.prompts import task_prompt
from skillfactory.tasks.countdown import COUNTDOWN

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="results/models/base")
    parser.add_argument("--questions", default="results/tasks/train.jsonl")
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", nargs="+", type=int, default=[50, 0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    prompts_config = yaml.safe_load((ROOT / "config/config.yaml").read_text())["prompts"]
    template = prompts_config["styles"][prompts_config["main_style"]]
    tokenizer = load_tokenizer(args.model)
    questions = read_jsonl(args.questions)
    prompts = [
        tokenizer.convert_ids_to_tokens(tokenizer.apply_chat_template(
            task_prompt(COUNTDOWN, q, template), add_generation_prompt=True, tokenize=True, return_dict=False))
        for q in questions
    ]
    with tempfile.TemporaryDirectory() as folder:
        convert(args.model, folder)
        generator = ctranslate2.Generator(folder, device="cpu", compute_type="float32", intra_threads=1)
        for repeat in range(args.repeats):
            for top_k in args.top_k:
                ctranslate2.set_random_seed(repeat)
                start = time.perf_counter()
                results = generator.generate_batch(
                    [p for p in prompts for _ in range(args.samples)], max_batch_size=64,
                    max_length=args.max_new_tokens, include_prompt_in_result=False, return_end_token=True,
                    end_token=tokenizer.eos_token, sampling_topk=top_k, sampling_topp=1.0,
                    sampling_temperature=args.temperature)
                seconds = time.perf_counter() - start
                ids = [r.sequences_ids[0] for r in results]
                texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
                accuracy = sum(COUNTDOWN.score(t, questions[i // args.samples]) for i, t in enumerate(texts))
                tokens = sum(map(len, ids))
                print(f"repeat {repeat}, top-k {top_k or 'none'}: {len(texts)} samples, {tokens} tokens, "
                      f"{tokens / seconds:,.0f} tokens/s, accuracy {accuracy / len(texts):.4f}", flush=True)


if __name__ == "__main__":
    main()

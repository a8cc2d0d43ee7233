"""Timing of the tiny-model spine: loading a checkpoint and answering, in-notebook work, builds.

    python benchmarks/spine_speed.py           # load + answer, a few training steps, a probe,
                                               # a --quick build; prints the recorded full builds
    python benchmarks/spine_speed.py --full    # also rebuild all three stages (minutes)

Everything runs on one thread (`torch.set_num_threads(1)`), as the builder and the graded
notebooks do. The budgets are authoring.md's: a graded notebook in 5 s of CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from autograder.spine import build, train
from autograder.spine.data import dpo_batch, pad_batch, sample_windows, sft_example
from autograder.spine.evaluate import fact_probe, sentence_logprobs
from autograder.spine.losses import dpo_loss, next_token_loss, sequence_logprob
from course.miniworld import pretraining_documents, sft_pairs
from course.tinygpt import STAGES, load
from course.tokenizer import chat_prompt

# Full builds measured on the course's 2-core machine (AMD EPYC, torch 2.13 CPU, one thread)
# from a fresh clone: `python -m autograder.spine.build --stage all --log build.json`, with
# a load average of about 1 from other jobs (under heavier load, 2.7: 348 s, 65 s, 13 s).
# The rebuilt files were byte-identical to the shipped ones.
RECORDED_FULL_BUILD_SECONDS = {"pretrained": 271, "sft": 57, "dpo": 7}


def _median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_and_answer(stage: str) -> str:
    model, tok = load(stage)
    idx = torch.tensor([tok.encode(chat_prompt("杭州位于哪个省？"))])
    out = model.generate(idx, 24, eos_id=tok.eos_id)[0, idx.shape[1] :].tolist()
    return tok.decode(out[: out.index(tok.eos_id)] if tok.eos_id in out else out)


def notebook_work() -> dict[str, float]:
    """Seconds for the pieces a notebook would run: training steps, a probe."""
    model, tok = load("sft")
    ref, _ = load("sft")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    stream = torch.tensor(tok.encode("".join(pretraining_documents(50, seed=0))))
    gen = torch.Generator().manual_seed(0)
    examples = [sft_example(tok, p.question, p.answer) for p in sft_pairs(64, seed=0)]

    def step(loss):
        opt.zero_grad()
        loss.backward()
        opt.step()

    def pretrain_step():
        ids = sample_windows(stream, 16, model.config.block_size, gen)
        step(next_token_loss(model(ids), ids))

    def sft_step():
        ids, labels = pad_batch(examples[:16], tok.pad_id)
        step(next_token_loss(model(ids), labels))

    def dpo_step():
        triples = [("狗的叫声是什么？", "汪汪。", "汪汪。还有别的问题吗？")] * 8
        ids, labels = dpo_batch(tok, triples)
        logps = sequence_logprob(model(ids), labels)
        with torch.no_grad():
            ref_logps = sequence_logprob(ref(ids), labels)
        step(dpo_loss(logps[:8], logps[8:], ref_logps[:8], ref_logps[8:]))

    return {
        "pretraining step (16 x 64 tokens)": _median_time(pretrain_step),
        "SFT step (16 examples)": _median_time(sft_step),
        "DPO step (8 pairs, policy + reference)": _median_time(dpo_step),
        "probe one fact (12 sentences)": _median_time(
            lambda: sentence_logprobs(model, tok, ["杭州位于浙江省。"] * 12)
        ),
        "full held-out fact probe (1232 sentences)": _median_time(
            lambda: fact_probe(model, tok), repeat=1
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="also time a full rebuild")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    print("load a checkpoint + greedy answer to 杭州位于哪个省？ (median of 5)")
    for stage in STAGES:
        seconds = _median_time(lambda s=stage: load_and_answer(s))
        print(f"  {stage:10s} {seconds * 1000:6.0f} ms   answer: {load_and_answer(stage)}")

    print("in-notebook work (median of 5)")
    for name, seconds in notebook_work().items():
        print(f"  {name:42s} {seconds * 1000:7.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build.main(["--quick", "--out", tmp])
        print(
            f"--quick build of all stages: {time.perf_counter() - start:.1f}s "
            f"({', '.join(f'{s} {c.quick().steps} steps' for s, c in train.STAGES.items())})"
        )
        if args.full:
            log = Path(tmp) / "build.json"
            build.main(["--out", tmp, "--log", str(log)])
            print(log.read_text())

    print(
        "recorded full build (seconds):",
        ", ".join(f"{s} {v}" for s, v in RECORDED_FULL_BUILD_SECONDS.items()),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

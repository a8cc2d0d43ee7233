"""Capability measurements of the spine's checkpoints, each stage against the one before.

fact probe    held-out templates: is log P(true sentence) > log P(counterfactual)?
              pairwise win rate over all counterfactuals, and top-1 (beats all of them)
chat          greedy answers to 问/答 questions: format (ends with <eos> and holds one
              answer of the asked kind, e.g. a province), accuracy (and it is the right
              one), on questions about facts that SFT trained on ("train") and facts it
              never asked about ("heldout")
style         share of concise answers (DPO's chosen behaviour: in format, and nothing
              after the answer) vs rambling ones (fillers after the answer)
arithmetic    greedy step-by-step solutions of unseen two-step problems: final answer
              accuracy (outcome), all steps correct (process), format

python -m autograder.spine.evaluate                      # random init + the shipped three
python -m autograder.spine.evaluate path/to/ckpt.pt ...  # any checkpoints
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import torch

from autograder.spine.data import pad_batch
from autograder.spine.losses import sequence_logprob
from course.miniworld import (
    arithmetic_problems,
    check_steps,
    fact_probes,
    fact_questions,
    judge_fact,
    judge_style,
)
from course.tinygpt import TinyGPT, load
from course.tokenizer import BOS, CharTokenizer, chat_prompt

ARITHMETIC_SEED = 12345
N_ARITHMETIC = 100
MAX_ANSWER_TOKENS = 40


@torch.no_grad()
def sentence_logprobs(
    model: TinyGPT, tok: CharTokenizer, texts: Sequence[str], chunk: int = 512
) -> torch.Tensor:
    """log P(text | <bos>) summed over the text's tokens -> (N,)."""
    out = []
    for i in range(0, len(texts), chunk):
        examples = []
        for t in texts[i : i + chunk]:
            ids = tok.encode(BOS + t, strict=True)
            examples.append((ids, ids))
        ids, labels = pad_batch(examples, tok.pad_id)
        out.append(sequence_logprob(model(ids), labels))
    return torch.cat(out)


def fact_probe(model: TinyGPT, tok: CharTokenizer, templates: str = "heldout") -> dict:
    """Pairwise win rate and top-1 rate of true sentences over counterfactual ones."""
    probes = fact_probes(templates)
    texts, spans = [], []
    for p in probes:
        spans.append((len(texts), len(p.counterfactual_texts)))
        texts.append(p.true_text)
        texts.extend(p.counterfactual_texts)
    lp = sentence_logprobs(model, tok, texts)
    wins = pairs = top1 = 0
    for start, k in spans:
        true, cfs = lp[start], lp[start + 1 : start + 1 + k]
        wins += int((true > cfs).sum())
        pairs += k
        top1 += int(bool((true > cfs).all()))
    return {"pairwise": wins / pairs, "top1": top1 / len(probes), "n_probes": len(probes)}


@torch.no_grad()
def greedy_answers(
    model: TinyGPT,
    tok: CharTokenizer,
    questions: Sequence[str],
    max_new_tokens: int = MAX_ANSWER_TOKENS,
) -> list[tuple[str, bool]]:
    """Greedy response to each chat question -> (text up to <eos>, whether <eos> came)."""
    by_length: dict[int, list[int]] = defaultdict(list)
    encoded = [tok.encode(chat_prompt(q), strict=True) for q in questions]
    for i, ids in enumerate(encoded):
        by_length[len(ids)].append(i)
    results: list[tuple[str, bool]] = [("", False)] * len(questions)
    for length, members in by_length.items():
        idx = torch.tensor([encoded[i] for i in members])
        budget = min(max_new_tokens, model.config.block_size - length)
        out = model.generate(idx, budget, eos_id=tok.eos_id)[:, length:]
        for row, i in zip(out.tolist(), members, strict=True):
            ended = tok.eos_id in row
            row = row[: row.index(tok.eos_id)] if ended else row
            results[i] = (tok.decode(row), ended)
    return results


def chat_eval(model: TinyGPT, tok: CharTokenizer, split: str) -> dict:
    """Format, accuracy and style of greedy answers to every question about `split` facts."""
    qs = fact_questions(split)
    answers = greedy_answers(model, tok, [q for q, _ in qs])
    n = len(qs)
    fmt = correct = concise = rambling = 0
    for (text, ended), (_, fact) in zip(answers, qs, strict=True):
        verdict = judge_fact(text, fact) if ended else "other"
        style = judge_style(text) if ended else "other"
        fmt += verdict != "other"
        correct += verdict == "correct"
        concise += verdict != "other" and style == "concise"
        rambling += verdict != "other" and style == "rambling"
    return {
        "format": fmt / n,
        "accuracy": correct / n,
        "concise": concise / n,
        "rambling": rambling / n,
        "n": n,
    }


def arithmetic_eval(
    model: TinyGPT, tok: CharTokenizer, n: int = N_ARITHMETIC, seed: int = ARITHMETIC_SEED
) -> dict:
    """Greedy solutions of n unseen ("test" split) problems, graded by `check_steps`."""
    problems = arithmetic_problems(n, seed=seed, split="test")
    answers = greedy_answers(model, tok, [p.question for p in problems])
    outcome = process = fmt = 0
    for (text, ended), p in zip(answers, problems, strict=True):
        check = check_steps(text, p)
        outcome += ended and check.answer_correct
        process += ended and check.all_steps_correct
        fmt += ended and check.format_ok
    return {"accuracy": outcome / n, "all_steps": process / n, "format": fmt / n, "n": n}


def evaluate(model: TinyGPT, tok: CharTokenizer, n_arithmetic: int = N_ARITHMETIC) -> dict:
    """Every measurement, as a flat dict of metric name -> value."""
    out = {}
    for k, v in fact_probe(model, tok).items():
        out[f"probe_{k}"] = v
    for split in ("train", "heldout"):
        for k, v in chat_eval(model, tok, split).items():
            out[f"chat_{split}_{k}"] = v
    for k, v in arithmetic_eval(model, tok, n_arithmetic).items():
        out[f"arith_{k}"] = v
    return out


ROWS = (
    ("probe_pairwise", "fact probe, held-out templates: true > counterfactual (pairs)"),
    ("probe_top1", "fact probe, held-out templates: true beats all counterfactuals"),
    ("chat_train_format", "问/答 format followed, facts asked in SFT"),
    ("chat_train_accuracy", "问/答 correct, facts asked in SFT"),
    ("chat_heldout_format", "问/答 format followed, facts never asked in SFT"),
    ("chat_heldout_accuracy", "问/答 correct, facts never asked in SFT"),
    ("chat_train_concise", "concise answers (DPO's chosen behaviour), SFT-asked facts"),
    ("chat_heldout_concise", "concise answers (DPO's chosen behaviour), never-asked facts"),
    ("arith_format", "arithmetic: solution in step format"),
    ("arith_all_steps", "arithmetic: every step correct (process)"),
    ("arith_accuracy", "arithmetic: final answer correct (outcome), greedy"),
)


def table(results: dict[str, dict]) -> str:
    """A markdown table: one row per metric, one column per model."""
    names = list(results)
    lines = ["| measurement | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key, label in ROWS:
        cells = [f"{100 * results[n][key]:.0f}%" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def random_init(tok: CharTokenizer, like: TinyGPT, seed: int = 0) -> TinyGPT:
    """An untrained model of the same shape (the stage before pretraining)."""
    torch.manual_seed(seed)
    return TinyGPT(replace(like.config)).eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.spine.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "checkpoints",
        nargs="*",
        help="checkpoint files or stage names (default: the shipped three)",
    )
    parser.add_argument(
        "--arithmetic", type=int, default=N_ARITHMETIC, help="number of unseen arithmetic problems"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    names = args.checkpoints or ["pretrained", "sft", "dpo"]
    results: dict[str, dict] = {}
    start = time.perf_counter()
    for name in names:
        model, tok = load(name)
        if not args.checkpoints and not results:
            results["random init"] = evaluate(random_init(tok, model), tok, args.arithmetic)
        results[str(name)] = evaluate(model, tok, args.arithmetic)
    print(table(results))
    n = results[str(names[0])]
    print(
        f"\n{n['probe_n_probes']} probes, {n['chat_train_n']} + {n['chat_heldout_n']} questions, "
        f"{n['arith_n']} arithmetic problems; {time.perf_counter() - start:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Turning mini-world text into training tensors: packed windows, masked SFT examples, DPO batches.

Labels follow the losses' convention: aligned with the inputs, -100 where a target does not
count (the prompt of a chat example, padding).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from autograder.spine.losses import IGNORE_INDEX
from course.tokenizer import EOS, CharTokenizer, chat_prompt


def pack_documents(docs: Sequence[str], tok: CharTokenizer) -> torch.Tensor:
    """'<bos>doc<eos>' for every document, concatenated into one stream of ids (N,)."""
    ids: list[int] = []
    for doc in docs:
        ids.append(tok.bos_id)
        ids.extend(tok.encode(doc, strict=True))
        ids.append(tok.eos_id)
    return torch.tensor(ids, dtype=torch.long)


def sample_windows(
    stream: torch.Tensor, batch_size: int, length: int, generator: torch.Generator
) -> torch.Tensor:
    """batch_size random windows of `length` ids from the stream -> (B, length)."""
    starts = torch.randint(0, len(stream) - length, (batch_size,), generator=generator)
    return torch.stack([stream[s : s + length] for s in starts.tolist()])


def sft_example(tok: CharTokenizer, question: str, answer: str) -> tuple[list[int], list[int]]:
    """(input_ids, labels) of one chat exchange; the prompt's labels are -100, the answer's
    and the final <eos>'s are the ids themselves (so the model learns when to stop)."""
    prompt = tok.encode(chat_prompt(question), strict=True)
    response = tok.encode(answer + EOS, strict=True)
    return prompt + response, [IGNORE_INDEX] * len(prompt) + response


def pad_batch(
    examples: Sequence[tuple[list[int], list[int]]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad to the longest example -> input_ids (B, T), labels (B, T) with -100 on pads.

    Right padding needs no attention mask: with causal attention no real token sees a pad.
    """
    length = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), length), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), length), IGNORE_INDEX, dtype=torch.long)
    for i, (ids, lab) in enumerate(examples):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(lab)] = torch.tensor(lab)
    return input_ids, labels


def dpo_batch(
    tok: CharTokenizer, triples: Sequence[tuple[str, str, str]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(question, chosen, rejected) triples -> one padded batch of 2B rows: the B chosen
    examples first, then the B rejected ones (one forward pass scores both)."""
    chosen = [sft_example(tok, q, c) for q, c, _ in triples]
    rejected = [sft_example(tok, q, r) for q, _, r in triples]
    return pad_batch(chosen + rejected, tok.pad_id)

"""The L+1 references against something independent of them.

Independent sources: the spine's builders (autograder/spine: the losses, SFT examples and
learning-rate schedule that trained the shipped checkpoints), hand-shifted loops and
hand-computed numbers, torch built-ins (F.nll_loss on log_softmax), the Hugging Face
convention (labels = input_ids; the model shifts), and the statistics of a large sample.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.references import pretrain_finetune as ref
from autograder.spine import data as spine_data
from autograder.spine import losses as spine_losses
from autograder.spine.train import STAGES, lr_at
from course.miniworld import sft_pairs
from course.tinygpt import load
from course.tokenizer import CharTokenizer, chat_text

pytestmark = pytest.mark.usefixtures("one_thread")
TOK = CharTokenizer.default()
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


def _case(seed=0, B=3, T=7, V=11, scale=1.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64).to(dtype) * scale
    labels = torch.randint(0, V, (B, T), generator=g)
    labels[0, 4:] = -100
    labels[1, :3] = -100
    return logits, labels


# ---- next_token_loss ------------------------------------------------------------------------


def test_loss_equals_hand_shifted_nll_loss():
    logits, labels = _case()
    terms = [
        -torch.log_softmax(logits[b, t], -1)[labels[b, t + 1]]
        for b in range(3)
        for t in range(6)
        if labels[b, t + 1] != -100
    ]
    torch.testing.assert_close(ref.next_token_loss(logits, labels), torch.stack(terms).mean())
    # and the same as F.nll_loss over log_softmax of the shifted, flattened tensors
    flat = F.nll_loss(
        torch.log_softmax(logits[:, :-1], -1).reshape(-1, 11), labels[:, 1:].reshape(-1)
    )
    torch.testing.assert_close(ref.next_token_loss(logits, labels), flat)


def test_loss_hand_number():
    # one row, T=3: targets 1 (from logits (0, 1)) and 0 (from logits (2, 0))
    logits = torch.tensor([[[0.0, 1.0], [2.0, 0.0], [5.0, -5.0]]], dtype=torch.float64)
    labels = torch.tensor([[1, 1, 0]])
    expected = (math.log1p(math.exp(-1.0)) + math.log1p(math.exp(-2.0))) / 2
    assert math.isclose(ref.next_token_loss(logits, labels).item(), expected, rel_tol=1e-12)


def test_loss_agrees_with_the_spine_builder():
    for seed in range(3):
        logits, labels = _case(seed, dtype=torch.float32)
        torch.testing.assert_close(
            ref.next_token_loss(logits, labels), spine_losses.next_token_loss(logits, labels)
        )


def test_loss_on_the_pretrained_model_matches_the_spine_and_uniform_is_log_v():
    model, tok = load("pretrained")
    stream = spine_data.pack_documents(["杭州位于浙江省。", "狗爱吃骨头。"], tok)[None, :]
    with torch.no_grad():
        logits = model(stream)
    ours = ref.next_token_loss(logits, stream)
    torch.testing.assert_close(ours, spine_losses.next_token_loss(logits, stream))
    assert ours.item() < 2.0  # the pretrained model knows these sentences
    uniform = torch.zeros(1, stream.shape[1], len(tok))
    assert math.isclose(
        ref.next_token_loss(uniform, stream).item(), math.log(len(tok)), rel_tol=1e-6
    )


def test_loss_is_stable_and_keeps_dtype():
    logits, labels = _case(scale=1e4, dtype=torch.float32)
    big = ref.next_token_loss(logits, labels)
    assert torch.isfinite(big) and big.dtype == torch.float32
    torch.testing.assert_close(big.double(), ref.next_token_loss(logits.double(), labels))
    assert ref.next_token_loss(*_case()).dtype == torch.float64


def test_loss_ignore_index_argument_and_gradient():
    logits, labels = _case()
    relabelled = labels.masked_fill(labels == -100, 0)
    relabelled[labels == 0] = 5  # 0 now means "ignored" and nothing else
    expected = ref.next_token_loss(logits, relabelled.masked_fill(relabelled == 0, -100))
    torch.testing.assert_close(ref.next_token_loss(logits, relabelled, ignore_index=0), expected)
    x = logits.clone().requires_grad_(True)
    ref.next_token_loss(x, labels).backward()
    # softmax minus one-hot, divided by the number of counted targets; zero on the last step
    n = (labels[:, 1:] != -100).sum()
    p = torch.softmax(logits[:, :-1], -1)
    onehot = F.one_hot(labels[:, 1:].clamp_min(0), 11).double()
    want = torch.zeros_like(logits)
    want[:, :-1] = (p - onehot) * (labels[:, 1:] != -100)[..., None] / n
    torch.testing.assert_close(x.grad, want)


def test_perplexity():
    assert math.isclose(ref.perplexity(torch.tensor(math.log(5.0))).item(), 5.0, rel_tol=1e-6)
    v = torch.tensor([0.0, math.log(286.0)], dtype=torch.float64)
    torch.testing.assert_close(ref.perplexity(v), torch.tensor([1.0, 286.0], dtype=torch.float64))


# ---- pack_documents ---------------------------------------------------------------------------


def test_pack_documents_hand_case_and_spine_stream():
    ids, labels = ref.pack_documents([[10, 11, 12], [13], [14, 15, 16, 17, 18], [19, 20]], 4, 2)
    want = torch.tensor([[10, 11, 12, 2], [13, 2, 14, 15], [16, 17, 18, 2]])
    assert torch.equal(ids, want) and torch.equal(labels, want) and ids.dtype == torch.long
    # with <bos> at the start of each document, the rows are windows of the builder's stream
    docs = ["杭州位于浙江省。", "狗爱吃骨头。", "19-5=14。"]
    stream = spine_data.pack_documents(docs, TOK)
    rows, _ = ref.pack_documents([[TOK.bos_id, *TOK.encode(d)] for d in docs], 8, TOK.eos_id)
    assert torch.equal(rows.reshape(-1), stream[: rows.numel()])
    empty, _ = ref.pack_documents([[1, 2]], 8, 2)
    assert empty.shape == (0, 8)


@PROPERTY
@given(
    docs=st.lists(st.lists(st.integers(6, 200), max_size=12), max_size=8),
    seq_len=st.integers(1, 9),
)
def test_pack_documents_properties(docs, seq_len):
    ids, labels = ref.pack_documents(docs, seq_len, 2)
    total = sum(len(d) + 1 for d in docs)
    assert ids.shape == (total // seq_len, seq_len) and torch.equal(ids, labels)
    stream = [t for d in docs for t in [*d, 2]]  # each document, then EOS
    assert ids.reshape(-1).tolist() == stream[: ids.numel()]


# ---- cosine_lr ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["pretrained", "sft", "dpo"])
def test_cosine_lr_is_the_spine_schedule(stage):
    cfg = STAGES[stage]
    for step in [*range(0, cfg.steps + 20, 7), cfg.warmup - 1, cfg.warmup, cfg.steps - 1]:
        ours = ref.cosine_lr(step, cfg.lr, cfg.warmup, cfg.steps, cfg.min_lr_ratio * cfg.lr)
        assert math.isclose(ours, lr_at(step, cfg), rel_tol=1e-12), step


def test_cosine_lr_hand_values_and_torch_scheduler():
    assert math.isclose(ref.cosine_lr(0, 1.0, 4, 20), 0.25)
    assert math.isclose(ref.cosine_lr(3, 1.0, 4, 20), 1.0)
    assert math.isclose(ref.cosine_lr(12, 1.0, 4, 20, 0.1), 0.1 + 0.9 * 0.5)  # halfway
    assert ref.cosine_lr(20, 1.0, 4, 20, 0.1) == ref.cosine_lr(500, 1.0, 4, 20, 0.1) == 0.1
    # after warmup, the decay equals torch's CosineAnnealingLR (eta_min = min_lr, T_max = decay)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=2.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=16, eta_min=0.2)
    for k in range(17):
        assert math.isclose(opt.param_groups[0]["lr"], ref.cosine_lr(4 + k, 2.0, 4, 20, 0.2))
        opt.step()
        sched.step()


# ---- mix_domains ---------------------------------------------------------------------------------


def test_mix_domains_sample_matches_its_expected_statistics():
    sizes, weights = [1000, 3, 50], [0.2, 0.5, 0.3]
    rows = ref.mix_domains(sizes, weights, 50000, torch.Generator().manual_seed(0))
    assert rows.shape == (50000, 2) and rows.dtype == torch.int64
    got = ref.summarise_mixture(rows, sizes)
    want = ref.mixture_stats(sizes, weights, 50000)
    torch.testing.assert_close(got, want, rtol=0, atol=0.01)
    # every index 0..2 of the 3-example domain appears about equally often
    small = rows[rows[:, 0] == 1, 1]
    counts = torch.bincount(small, minlength=3).double() / len(small)
    torch.testing.assert_close(
        counts, torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.01, rtol=0
    )
    again = ref.mix_domains(sizes, weights, 50000, torch.Generator().manual_seed(0))
    assert torch.equal(rows, again)  # the generator makes it reproducible


def test_mixture_summary_flags_invalid_rows():
    rows = torch.tensor([[0, 5], [1, 3], [2, 0], [0, -1]])
    stats = ref.summarise_mixture(rows, [10, 3])
    assert math.isclose(stats[-1].item(), 0.75)


# ---- interpolate_positions -------------------------------------------------------------------------


def test_interpolate_positions_hand_values():
    out = ref.interpolate_positions(torch.arange(8), 4, 8)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.arange(8) / 2)
    # the largest new position lands inside the trained range [0, old_len)
    assert ref.interpolate_positions(torch.tensor([8191]), 2048, 8192).item() < 2048
    same = ref.interpolate_positions(torch.arange(5), 8, 4)
    torch.testing.assert_close(same, torch.arange(5, dtype=torch.float32))
    x = torch.rand(4, dtype=torch.float64)
    assert ref.interpolate_positions(x, 2, 6).dtype == torch.float64


# ---- build_sft_example -------------------------------------------------------------------------------


def test_build_sft_example_is_the_spine_builder():
    for pair in sft_pairs(50, seed=5):
        ids, labels = ref.build_sft_example(pair.question, pair.answer, TOK)
        want_ids, want_labels = spine_data.sft_example(TOK, pair.question, pair.answer)
        assert ids.tolist() == want_ids and labels.tolist() == want_labels
        assert TOK.decode(ids.tolist()) == chat_text(pair.question, pair.answer)
        assert labels[-1] == TOK.eos_id


def test_build_sft_example_hand_case_and_strictness():
    ids, labels = ref.build_sft_example("狗爱吃什么？", "骨头。", TOK)
    # <bos> <问> 狗爱吃什么？ <答>: 3 special tokens + 6 characters = 9 prompt tokens
    assert labels[:9].tolist() == [-100] * 9
    assert labels[9:].tolist() == ids[9:].tolist() == TOK.encode("骨头。<eos>")
    with pytest.raises(ValueError):
        ref.build_sft_example("狗爱吃什么？", "骨头🦴", TOK)

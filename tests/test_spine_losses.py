"""The builder's losses and data, against independent computations and hand numbers."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from autograder.spine.data import dpo_batch, pack_documents, pad_batch, sft_example
from autograder.spine.losses import dpo_loss, next_token_loss, sequence_logprob
from autograder.spine.train import STAGES, lr_at
from course.tokenizer import CharTokenizer, chat_prompt

TOK = CharTokenizer.default()


def _case(seed=0, B=3, T=7, V=11, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64) * scale
    labels = torch.randint(0, V, (B, T), generator=g)
    labels[0, 4:] = -100  # padding at the end of row 0
    labels[1, :3] = -100  # a masked prompt in row 1
    return logits, labels


def test_next_token_loss_equals_cross_entropy_on_hand_shifted_tensors():
    logits, labels = _case()
    pred, target = [], []
    for b in range(3):
        for t in range(6):  # position t predicts labels[b, t + 1]
            if labels[b, t + 1] != -100:
                pred.append(logits[b, t])
                target.append(labels[b, t + 1])
    expected = F.cross_entropy(torch.stack(pred), torch.stack(target))
    torch.testing.assert_close(next_token_loss(logits, labels), expected.float())


def test_next_token_loss_is_stable_for_huge_logits():
    logits, labels = _case(scale=1e4)
    loss = next_token_loss(logits.float(), labels)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, next_token_loss(logits, labels), rtol=1e-5, atol=1e-2)


def test_sequence_logprob_sums_log_probabilities_of_counted_targets():
    logits, labels = _case(seed=1)
    logp = torch.log_softmax(logits, dim=-1)
    expected = torch.zeros(3, dtype=torch.float64)
    for b in range(3):
        for t in range(6):
            if labels[b, t + 1] != -100:
                expected[b] += logp[b, t, labels[b, t + 1]]
    torch.testing.assert_close(sequence_logprob(logits, labels), expected.float())
    # a row with no counted target scores 0
    empty = torch.full_like(labels, -100)
    assert torch.equal(sequence_logprob(logits, empty), torch.zeros(3))


def test_dpo_loss_hand_numbers():
    t = torch.tensor
    # h = (-1 - -1.5) - (-2 - -1.5) = 1.0; L = -log σ(0.1) = log(1 + e^-0.1)
    loss = dpo_loss(t([-1.0]), t([-2.0]), t([-1.5]), t([-1.5]), beta=0.1)
    assert math.isclose(loss.item(), math.log1p(math.exp(-0.1)), rel_tol=1e-6)
    assert math.isclose(loss.item(), 0.6443967, rel_tol=1e-6)
    # the mean over the batch, and β inside the sigmoid
    batch = dpo_loss(t([-1.0, 0.0]), t([-2.0, 0.0]), t([-1.5, 0.0]), t([-1.5, 2.0]), beta=0.5)
    expected = (math.log1p(math.exp(-0.5)) + math.log1p(math.exp(-1.0))) / 2
    assert math.isclose(batch.item(), expected, rel_tol=1e-6)
    # equal policy and reference: log 2
    z = torch.zeros(4)
    assert math.isclose(dpo_loss(z, z, z, z).item(), math.log(2), rel_tol=1e-6)


def test_dpo_loss_is_stable_for_large_margins():
    t = torch.tensor
    big = dpo_loss(t([0.0]), t([0.0]), t([0.0]), t([1e4]), beta=0.1)  # β·h = +1000
    assert big.item() == 0.0
    bad = dpo_loss(t([0.0]), t([0.0]), t([1e4]), t([0.0]), beta=0.1)  # β·h = -1000
    assert math.isclose(bad.item(), 1000.0, rel_tol=1e-6)


def test_dpo_loss_gradient_pushes_chosen_up_and_rejected_down():
    pc, pr = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    dpo_loss(pc, pr, torch.zeros(2), torch.zeros(2), beta=0.1).backward()
    # d/dπ_c of -log σ(βh) at h=0 is -β·σ(-0)/B = -0.1 * 0.5 / 2
    torch.testing.assert_close(pc.grad, torch.full((2,), -0.025))
    torch.testing.assert_close(pr.grad, torch.full((2,), 0.025))


def test_sft_example_masks_the_prompt_and_keeps_eos():
    ids, labels = sft_example(TOK, "狗爱吃什么？", "骨头。")
    n_prompt = len(TOK.encode(chat_prompt("狗爱吃什么？")))
    assert ids == TOK.encode("<bos><问>狗爱吃什么？<答>骨头。<eos>")
    assert labels[:n_prompt] == [-100] * n_prompt
    assert labels[n_prompt:] == ids[n_prompt:] and labels[-1] == TOK.eos_id
    # with the one-step shift, <答> (the prompt's last token) predicts the first answer token
    assert ids[n_prompt - 1] == TOK.answer_id and labels[n_prompt] == TOK.stoi["骨"]


def test_pad_batch_and_dpo_batch():
    a, b = sft_example(TOK, "狗爱吃什么？", "骨头。"), sft_example(TOK, "猫爱吃什么？", "小鱼。")
    ids, labels = pad_batch([a, b], TOK.pad_id)
    assert ids.shape == labels.shape == (2, max(len(a[0]), len(b[0])))
    short = 0 if len(a[0]) < len(b[0]) else 1
    n = min(len(a[0]), len(b[0]))
    assert (ids[short, n:] == TOK.pad_id).all() and (labels[short, n:] == -100).all()
    ids, labels = dpo_batch(TOK, [("狗的叫声是什么？", "汪汪。", "汪汪。还有别的问题吗？")])
    assert ids.shape[0] == 2
    assert TOK.decode(ids[1].tolist()) == "<bos><问>狗的叫声是什么？<答>汪汪。还有别的问题吗？<eos>"
    # the chosen row is padded after its <eos>; the two rows share the prompt
    assert (labels[0] != -100).sum() == len("汪汪。") + 1


def test_pack_documents():
    stream = pack_documents(["狗爱吃骨头。", "猫爱吃小鱼。"], TOK)
    assert TOK.decode(stream.tolist()) == "<bos>狗爱吃骨头。<eos><bos>猫爱吃小鱼。<eos>"


def test_learning_rate_schedule():
    cfg = STAGES["pretrained"]
    assert math.isclose(lr_at(0, cfg), cfg.lr / cfg.warmup)
    assert math.isclose(lr_at(cfg.warmup - 1, cfg), cfg.lr)
    assert math.isclose(lr_at(cfg.steps - 1 + 10, cfg), cfg.lr * cfg.min_lr_ratio)
    values = [lr_at(s, cfg) for s in range(cfg.warmup, cfg.steps)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))

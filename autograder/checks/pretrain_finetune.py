"""Checks for L+1 预训练与微调: one `Check` per grade cell of Lp1-pretraining-and-finetuning.ipynb.

Cases avoid constants that hide bugs: rows with different numbers of counted targets (so the
mean over the batch differs from the mean of per-row means), a first label that is never a
target, ignore_index other than -100, logits ×1e4, float64 next to float32; documents whose
stream does not divide seq_len; warmup 7 of 50 steps with min_lr ≠ 0; a domain of 3 examples
(so an off-by-one index shows) and unnormalised weights; a tokenizer whose character ids are
permuted (so hard-coded ids or `CharTokenizer.default()` show).

`mix_domains` is random: its check compares statistics of a large sample (domain shares,
index spread, invalid rows) with their expected values, not one sample (`SummaryCheck`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F  # noqa: N812

from autograder.check import Case, Check, Oracle, Verdict, _well_formed
from autograder.references import pretrain_finetune as ref
from course.tokenizer import SPECIAL_TOKENS, CharTokenizer

F64 = torch.float64


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


# ---- next_token_loss (fixed contract) -----------------------------------------------------


def _labels(gen: torch.Generator, B: int, T: int, V: int) -> torch.Tensor:
    return torch.randint(0, V, (B, T), generator=gen)


def _loss_value_cases(gen: torch.Generator) -> list[Case]:
    # hand case: one row, T=3, V=2; targets labels[0, 1:] = (1, 0)
    hand_logits = torch.tensor([[[0.0, 1.0], [2.0, 0.0], [5.0, -5.0]]])
    hand_labels = torch.tensor([[1, 1, 0]])
    logits = _randn(gen, 3, 7, 11) * 2
    labels = _labels(gen, 3, 7, 11)
    return [
        Case("hand_T3", (hand_logits, hand_labels)),
        Case("batch_3x7x11", (logits, labels)),
        Case("float64_2x5x13", (_randn(gen, 2, 5, 13, dtype=F64) * 3, _labels(gen, 2, 5, 13))),
        Case("batch_of_one", (_randn(gen, 1, 9, 6), _labels(gen, 1, 9, 6))),
        Case("T2_one_target_per_row", (_randn(gen, 4, 2, 5), _labels(gen, 4, 2, 5))),
    ]


def _loss_ignore_cases(gen: torch.Generator) -> list[Case]:
    B, T, V = 4, 8, 10
    labels = _labels(gen, B, T, V)
    labels[0, 5:] = -100  # padding at the end
    labels[1, :4] = -100  # a masked prompt
    labels[2, 1:] = -100  # a row with no counted target at all
    labels[3, 0] = -100  # the first label is never a target anyway
    padded = _labels(gen, 3, 6, 9).clamp_min(1)
    padded[0, 3:] = 0  # pad id 0 used as ignore_index
    padded[2, 2:4] = 0
    middle = _labels(gen, 2, 9, 7)
    middle[:, 3:6] = -100  # ignored targets in the middle of each row
    one = _labels(gen, 1, 6, 5)
    one[0, :3] = -100
    return [
        Case("padding_prompt_and_empty_row", (_randn(gen, B, T, V), labels)),
        Case("ignore_index_0", (_randn(gen, 3, 6, 9), padded), {"ignore_index": 0}),
        Case("ignored_in_the_middle_f64", (_randn(gen, 2, 9, 7, dtype=F64), middle)),
        Case("batch_of_one_prompt_masked", (_randn(gen, 1, 6, 5), one)),
    ]


def _loss_stability_cases(gen: torch.Generator) -> list[Case]:
    labels = _labels(gen, 2, 6, 8)
    labels[1, :2] = -100
    return [
        Case("logits_x1e4", (_randn(gen, 2, 6, 8) * 1e4, labels)),
        Case("logits_plus_1e4_f64", (_randn(gen, 2, 6, 8, dtype=F64) + 1e4, labels)),
        Case("batch_of_one_x1e4", (_randn(gen, 1, 4, 8) * 1e4, _labels(gen, 1, 4, 8))),
    ]


def _loss_grad_cases(gen: torch.Generator) -> list[Case]:
    labels = _labels(gen, 3, 6, 7)
    labels[0, 4:] = -100
    labels[2, :3] = -100
    return [
        Case("grad_logits_f64", (_randn(gen, 3, 6, 7, dtype=F64), labels), grad=(0,)),
        Case("grad_logits_f32", (_randn(gen, 2, 5, 9), _labels(gen, 2, 5, 9)), grad=(0,)),
        Case("grad_batch_of_one_T2", (_randn(gen, 1, 2, 6), _labels(gen, 1, 2, 6)), grad=(0,)),
    ]


def _flat(logits, labels):
    return logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)


def _loss_no_shift(logits, labels, ignore_index=-100):
    return F.cross_entropy(*_flat(logits, labels), ignore_index=ignore_index)


def _loss_shift_backwards(logits, labels, ignore_index=-100):
    return F.cross_entropy(*_flat(logits[:, 1:], labels[:, :-1]), ignore_index=ignore_index)


def _per_target(logits, labels, ignore_index):
    """(B, T-1) negative log-likelihoods (0 where ignored) and the mask of counted targets."""
    pred, target = logits[:, :-1], labels[:, 1:]
    mask = target != ignore_index
    nll = -torch.log_softmax(pred, dim=-1).gather(-1, target.masked_fill(~mask, 0)[..., None])
    return nll.squeeze(-1) * mask, mask


def _loss_counts_ignored(logits, labels, ignore_index=-100):
    nll, _ = _per_target(logits, labels, ignore_index)
    return nll.sum() / nll.numel()


def _loss_sum(logits, labels, ignore_index=-100):
    nll, _ = _per_target(logits, labels, ignore_index)
    return nll.sum()


def _loss_per_sequence_mean(logits, labels, ignore_index=-100):
    nll, mask = _per_target(logits, labels, ignore_index)
    rows = mask.any(dim=1)
    return (nll.sum(1)[rows] / mask.sum(1)[rows]).mean()


def _loss_probabilities(logits, labels, ignore_index=-100):
    pred, target = logits[:, :-1], labels[:, 1:]
    mask = target != ignore_index
    p = torch.softmax(pred, dim=-1).gather(-1, target.masked_fill(~mask, 0)[..., None])
    return -(p.squeeze(-1) * mask).sum() / mask.sum()


def _loss_unstable(logits, labels, ignore_index=-100):
    pred, target = logits[:, :-1], labels[:, 1:]
    mask = target != ignore_index
    e = pred.exp()
    p = e / e.sum(-1, keepdim=True)
    picked = p.gather(-1, target.masked_fill(~mask, 0)[..., None]).squeeze(-1)
    return -(picked.log() * mask).sum() / mask.sum()


def _loss_hardcoded_ignore(logits, labels, ignore_index=-100):
    return ref.next_token_loss(logits, labels)


LOSS_ORACLES = (
    Oracle(
        "no_shift",
        _loss_no_shift,
        "没有错位（shift）：位置 t 的 logits 应预测 labels[:, t+1]，而不是 labels[:, t]"
        "（那样模型只要抄写当前输入即可）。",
    ),
    Oracle(
        "shift_backwards",
        _loss_shift_backwards,
        "错位方向反了：应取 logits[:, :-1] 与 labels[:, 1:] 配对，而不是 logits[:, 1:] 与 labels[:, :-1]。",
    ),
    Oracle(
        "counts_ignored",
        _loss_counts_ignored,
        "被忽略的目标（label = ignore_index）也算进了分母：平均只在未被忽略的目标上取。",
    ),
    Oracle("sum", _loss_sum, "返回的是总和（sum），约定是整个批次上所有有效目标的平均（mean）。"),
    Oracle(
        "per_sequence_mean",
        _loss_per_sequence_mean,
        "先对每条序列求平均、再对序列求平均了：约定是把整个批次所有有效目标放在一起求一次平均"
        "（各行有效目标数不同时两者不同）。",
    ),
    Oracle(
        "probabilities",
        _loss_probabilities,
        "用了概率本身而不是对数概率：交叉熵是 −log p(正确 token) 的平均。",
    ),
    Oracle(
        "unstable_softmax",
        _loss_unstable,
        "logits 很大（1e4）时 exp 溢出得到 inf/NaN：用 log_softmax 或 F.cross_entropy"
        "（它们先减去最大值，即 log-sum-exp 技巧）。",
    ),
    Oracle(
        "hardcoded_ignore",
        _loss_hardcoded_ignore,
        "忽略了参数 ignore_index，总是按 −100 处理：请把 ignore_index 传下去。",
    ),
)

# ---- perplexity ----------------------------------------------------------------------------


def _ppl_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("log5", (torch.tensor(math.log(5.0)),)),
        Case("zero_nll", (torch.tensor(0.0),)),
        Case("vector_f64", (torch.rand(6, generator=gen, dtype=F64) * 6,)),
        Case("uniform_over_286", (torch.tensor(math.log(286.0), dtype=F64),)),
        Case("shape_1x3", (torch.rand(1, 3, generator=gen) * 4,)),
    ]


PPL_ORACLES = (
    Oracle(
        "base2",
        lambda x: 2.0**x,
        "困惑度（perplexity）是 e 的 NLL 次方：损失用的是自然对数，不是以 2 为底。",
    ),
    Oracle(
        "negative_exponent",
        lambda x: torch.exp(-x),
        "指数的符号反了：PPL = exp(+平均 NLL)，不是 exp(−NLL)。",
    ),
    Oracle("no_exp", lambda x: x.clone(), "直接返回了平均 NLL：困惑度还要取 exp。"),
    Oracle("log", lambda x: torch.log(x), "用了 log：困惑度 = exp(平均 NLL)。"),
)

# ---- pack_documents --------------------------------------------------------------------------


def _pack_value_cases(gen: torch.Generator) -> list[Case]:
    docs = [[10, 11, 12], [13], [14, 15, 16, 17, 18], [19, 20]]  # 3+1+5+2 tokens + 4 EOS = 15
    rand_docs = [
        torch.randint(6, 280, (int(n),), generator=gen).tolist()
        for n in torch.randint(0, 30, (9,), generator=gen)
    ]
    return [
        Case("hand_seq4_drops_3", (docs, 4, 2)),
        Case("random_docs_seq16", (rand_docs, 16, 2)),
        Case("eos_id_7_seq5", (docs, 5, 7)),
        Case("empty_document", ([[30, 31], [], [32]], 3, 2)),
    ]


def _pack_edge_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("shorter_than_one_chunk", ([[5, 6], [7]], 8, 2)),
        Case("exact_multiple", ([[5, 6, 7], [8, 9, 10]], 4, 2)),
        Case("one_long_document", ([list(range(6, 31))], 6, 2)),
        Case("seq_len_1", ([[9, 8]], 1, 2)),
    ]


def _stream(docs, eos_id, eos_first=False, eos_last=True):
    out: list[int] = []
    for i, doc in enumerate(docs):
        if eos_first:
            out.append(eos_id)
        out.extend(doc)
        if not eos_first and (eos_last or i < len(docs) - 1):
            out.append(eos_id)
    return out


def _chunks(stream, seq_len, pad=None):
    if pad is not None and len(stream) % seq_len:
        stream = stream + [pad] * (seq_len - len(stream) % seq_len)
    n = len(stream) // seq_len
    ids = torch.tensor(stream[: n * seq_len], dtype=torch.long).reshape(n, seq_len)
    return ids, ids.clone()


def _pack_no_eos(docs, seq_len, eos_id):
    return _chunks([t for d in docs for t in d], seq_len)


def _pack_eos_before(docs, seq_len, eos_id):
    return _chunks(_stream(docs, eos_id, eos_first=True), seq_len)


def _pack_eos_between(docs, seq_len, eos_id):
    return _chunks(_stream(docs, eos_id, eos_last=False), seq_len)


def _pack_keeps_last(docs, seq_len, eos_id):
    return _chunks(_stream(docs, eos_id), seq_len, pad=0)


def _pack_labels_preshifted(docs, seq_len, eos_id):
    ids, _ = _chunks(_stream(docs, eos_id), seq_len)
    labels = torch.full_like(ids, -100)
    labels[:, :-1] = ids[:, 1:]
    return ids, labels


PACK_ORACLES = (
    Oracle(
        "no_eos",
        _pack_no_eos,
        "文档之间没有 EOS：每篇文档末尾都要加 eos_id，模型才知道文档在哪里结束。",
    ),
    Oracle("eos_before", _pack_eos_before, "EOS 放在了文档前面：约定是每篇文档**之后**加 eos_id。"),
    Oracle(
        "eos_between_only",
        _pack_eos_between,
        "最后一篇文档后面也要加 EOS（约定：每篇文档之后都有一个 eos_id）。",
    ),
    Oracle(
        "keeps_last_chunk",
        _pack_keeps_last,
        "最后一块不足 seq_len 时应当丢弃（不补齐）：返回 N = 总长 // seq_len 块。",
    ),
    Oracle(
        "labels_preshifted",
        _pack_labels_preshifted,
        "labels 已经错位了一次：本课程约定 labels 与 input_ids 对齐（相同），错位由 next_token_loss 完成；"
        "在数据里再错一次会变成预测后面第二个 token。",
    ),
)

# ---- cosine_lr -------------------------------------------------------------------------------

LR = dict(max_lr=3e-3, warmup_steps=7, total_steps=50, min_lr=3e-4)


def _lr_warmup_cases(gen: torch.Generator) -> list[Case]:
    return [Case(f"step_{s}", (s,), dict(LR)) for s in (0, 1, 3, 6)] + [
        Case("step_0_warmup_1", (0,), dict(LR, warmup_steps=1)),
    ]


def _lr_decay_cases(gen: torch.Generator) -> list[Case]:
    steps = (7, 12, 28, 40, 49, 50, 63, 93)
    cases = [Case(f"step_{s}", (s,), dict(LR)) for s in steps]
    cases += [
        Case("no_warmup_step_0", (0,), dict(LR, warmup_steps=0)),
        Case("no_warmup_step_20", (20,), dict(LR, warmup_steps=0)),
        Case("default_min_lr_step_30", (30, 1e-3, 5, 40)),
        Case("default_min_lr_after_end", (47, 1e-3, 5, 40)),
    ]
    return cases


def _lr_step0_zero(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    return ref.cosine_lr(step, max_lr, warmup_steps, total_steps, min_lr)


def _lr_no_clamp(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def _lr_to_zero(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    return ref.cosine_lr(step, max_lr, warmup_steps, total_steps, 0.0)


def _lr_linear(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return max_lr - (max_lr - min_lr) * progress


def _lr_progress_from_zero(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, step / total_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def _lr_no_half(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * math.cos(math.pi * progress)


LR_ORACLES = (
    Oracle(
        "step0_zero",
        _lr_step0_zero,
        "预热差一步（off-by-one）：按约定第 0 步的学习率是 max_lr·1/warmup_steps，"
        "第 warmup_steps−1 步到达 max_lr；用 step/warmup_steps 会让第 0 步白白浪费。",
    ),
    Oracle(
        "no_clamp",
        _lr_no_clamp,
        "训练结束（step ≥ total_steps）后没有停在 min_lr：余弦会重新上升，要把进度 clamp 到 1。",
    ),
    Oracle("decays_to_zero", _lr_to_zero, "衰减的终点是 min_lr，而不是 0。"),
    Oracle("linear_decay", _lr_linear, "预热之后是余弦衰减 ½(1+cos(π·进度))，不是线性衰减。"),
    Oracle(
        "progress_from_zero",
        _lr_progress_from_zero,
        "衰减进度要从预热结束时算起：(step − warmup_steps) / (total_steps − warmup_steps)。",
    ),
    Oracle(
        "no_half",
        _lr_no_half,
        "余弦因子应是 ½(1 + cos(π·进度))，取值在 [0, 1]；直接用 cos(π·进度) 会降到负值。",
    ),
)

# ---- mix_domains (a random function: judged on statistics of a large sample) ------------------


@dataclass(frozen=True)
class SummaryCheck(Check):
    """A check of a random function: each result is first reduced by `summary(value, *args)`
    (statistics of the sample) and compared with `expected(*args)`, the statistics' expected
    values. `reference` is a correct sampler (it gets full points like any reference); oracles
    are wrong samplers whose samples are summarised the same way."""

    summary: Callable | None = None
    expected: Callable | None = None

    def _summarised(self, fn: Callable) -> Callable:
        def run(*args, **kwargs):
            return self.summary(fn(*args, **kwargs), *args)

        run.__name__ = getattr(fn, "__name__", "oracle")
        return run

    def judge(self, record: dict, cases: list[Case] | None = None) -> Verdict:
        cases = self.build_cases() if cases is None else cases
        if _well_formed(record, self.id, len(cases)):
            results = []
            for case, result in zip(cases, record["results"], strict=True):
                if isinstance(result, dict) and result.get("ok"):
                    calls = result.get("calls", [])
                    try:
                        value = self.summary(result.get("value"), *case.args)
                        result = {"ok": True, "value": value, "grads": [], "calls": calls}
                    except (TypeError, ValueError, RuntimeError, IndexError) as exc:
                        result = {"ok": False, "error": f"ValueError: {exc}", "calls": calls}
                results.append(result)
            record = dict(record, results=results)
        oracles = tuple(replace(o, fn=self._summarised(o.fn)) for o in self.oracles)
        summarised = replace(self, reference=self.expected, oracles=oracles)
        return Check.judge(summarised, record, cases)


def _mixture_summary(value, sizes, weights, n, generator=None) -> torch.Tensor:
    """Statistics of a sample; refuses anything that is not an (n, 2) integer tensor."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"应返回 torch.Tensor，得到 {type(value).__name__}")
    if tuple(value.shape) != (n, 2):
        raise ValueError(f"形状（shape）应为 ({n}, 2)，得到 {tuple(value.shape)}")
    if value.dtype != torch.int64:
        raise ValueError(f"类型（dtype）应为 torch.int64，得到 {value.dtype}")
    return ref.summarise_mixture(value, sizes)


N_MIX = 20000  # shares have a standard error below 0.004; the tolerance is 0.03


def _mix_cases(gen: torch.Generator) -> list[Case]:
    def g(seed):
        return torch.Generator().manual_seed(seed)

    return [
        Case("general_1000_domain_3", ([1000, 3], [0.3, 0.7], N_MIX, g(11))),
        Case("unnormalised_weights", ([5, 1000, 7], [2.0, 1.0, 1.0], N_MIX, g(12))),
        Case("zero_weight_domain", ([4, 600, 9], [0.5, 0.0, 0.5], N_MIX, g(13))),
    ]


def _mix_expected(sizes, weights, n, generator):
    return ref.mixture_stats(sizes, weights, n)


def _mix_by_size(sizes, weights, n, generator):
    return ref.mix_domains(sizes, [float(s) for s in sizes], n, generator)


def _mix_uniform(sizes, weights, n, generator):
    return ref.mix_domains(sizes, [1.0] * len(sizes), n, generator)


def _mix_global_index(sizes, weights, n, generator):
    rows = ref.mix_domains(sizes, weights, n, generator)
    rows[:, 1] = torch.randint(0, sum(sizes), (n,), generator=generator)
    return rows


def _mix_swapped(sizes, weights, n, generator):
    return ref.mix_domains(sizes, weights, n, generator).flip(1)


MIX_ORACLES = (
    Oracle(
        "size_proportional",
        _mix_by_size,
        "各领域的抽样比例应由 weights 决定，而不是按各领域数据量（sizes）的自然比例。",
    ),
    Oracle("uniform_domains", _mix_uniform, "忽略了 weights：各领域被等概率抽取了。"),
    Oracle(
        "global_index",
        _mix_global_index,
        "样本下标应在所选领域内部取 [0, sizes[d])，而不是在所有领域拼起来的总长度里取。",
    ),
    Oracle("columns_swapped", _mix_swapped, "两列顺序反了：每行应是 (domain, index)。"),
)

# ---- interpolate_positions -----------------------------------------------------------------


def _pi_value_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("arange8_4_to_8", (torch.arange(8), 4, 8)),
        Case("batch_2x96_64_to_96", (torch.arange(96).repeat(2, 1), 64, 96)),
        Case("float64_positions", (torch.rand(3, 5, generator=gen, dtype=F64) * 2048, 2048, 8192)),
        Case("odd_ratio_5_to_7", (torch.arange(7), 5, 7)),
        Case("float32_1x5", (torch.rand(1, 5, generator=gen) * 64, 64, 160)),
    ]


def _pi_edge_cases(gen: torch.Generator) -> list[Case]:
    return [
        Case("same_length", (torch.arange(6), 6, 6)),
        Case("shorter_target", (torch.arange(10), 16, 8)),
        Case("single_position", (torch.tensor([3]), 4, 12)),
        Case("float32_in_float32_out", (torch.arange(12, dtype=torch.float32) * 0.5, 3, 6)),
        Case("float64_same_length", (torch.rand(4, generator=gen, dtype=F64) * 9, 9, 9)),
    ]


def _pi_inverted(pos, old_len, new_len):
    out = pos.float() if not pos.is_floating_point() else pos
    return out * (new_len / old_len) if new_len > old_len else out.clone()


def _pi_integer(pos, old_len, new_len):
    out = pos.float() if not pos.is_floating_point() else pos
    return torch.floor(out * old_len / new_len) if new_len > old_len else out.clone()


def _pi_clamped(pos, old_len, new_len):
    out = pos.float() if not pos.is_floating_point() else pos
    return out.clamp(max=old_len - 1)


def _pi_unchanged(pos, old_len, new_len):
    return pos.float() if not pos.is_floating_point() else pos.clone()


def _pi_always_scales(pos, old_len, new_len):
    out = pos.float() if not pos.is_floating_point() else pos
    return out * (old_len / new_len)


PI_ORACLES = (
    Oracle(
        "inverted_ratio",
        _pi_inverted,
        "比例反了：位置插值把新位置压缩进旧范围，乘以 old_len / new_len（< 1），不是 new_len / old_len。",
    ),
    Oracle(
        "integer_positions",
        _pi_integer,
        "插值后的位置是小数（例如 0.5），不能取整：取整会让相邻位置变得相同。",
    ),
    Oracle(
        "clamped",
        _pi_clamped,
        "把超出的位置截断到 old_len − 1 不是插值：所有位置都要按比例缩放。",
    ),
    Oracle(
        "unchanged",
        _pi_unchanged,
        "位置没有缩放（这是外推 extrapolation，不是插值 interpolation）。",
    ),
    Oracle(
        "scales_when_shorter",
        _pi_always_scales,
        "new_len ≤ old_len 时位置本来就在训练过的范围内，按约定原样返回（不要放大）。",
    ),
)

# ---- build_sft_example ------------------------------------------------------------------------


def _permuted_tokenizer() -> CharTokenizer:
    """The mini-world tokenizer with its characters in reverse order: same text, other ids."""
    chars = CharTokenizer.default().vocab[len(SPECIAL_TOKENS) :]
    return CharTokenizer(list(SPECIAL_TOKENS) + chars[::-1])


def _sft_value_cases(gen: torch.Generator) -> list[Case]:
    tok = CharTokenizer.default()
    return [
        Case("concise", ("杭州位于哪个省？", "浙江。", tok)),
        Case("rambling", ("狗爱吃什么？", "骨头。希望对你有帮助！", tok)),
        Case("arithmetic_steps", ("计算3+4-2等于多少？", "3+4=7，7-2=5，答案：5。", tok)),
        Case("permuted_ids", ("猫爱吃什么？", "小鱼。", _permuted_tokenizer())),
    ]


def _sft_edge_cases(gen: torch.Generator) -> list[Case]:
    tok = CharTokenizer.default()
    return [
        Case("empty_response", ("狗爱吃什么？", "", tok)),
        Case("one_char_prompt", ("猫", "小鱼。", _permuted_tokenizer())),
        Case("long_prompt", ("大家都知道小明喜欢画画，南京是哪个省的城市？", "江苏。", tok)),
    ]


def _sft_parts(prompt, response, tokenizer):
    p = tokenizer.encode(f"<bos><问>{prompt}<答>", strict=True)
    r = tokenizer.encode(f"{response}<eos>", strict=True)
    return p, r


def _sft_masks_inputs(prompt, response, tokenizer):
    p, r = _sft_parts(prompt, response, tokenizer)
    ids = torch.tensor([-100] * len(p) + r)
    return ids, torch.tensor(p + r)


def _sft_drops_eos(prompt, response, tokenizer):
    p, r = _sft_parts(prompt, response, tokenizer)
    r = r[:-1]
    return torch.tensor(p + r), torch.tensor([-100] * len(p) + r)


def _sft_eos_masked(prompt, response, tokenizer):
    ids, labels = ref.build_sft_example(prompt, response, tokenizer)
    labels[-1] = -100
    return ids, labels


def _sft_no_mask(prompt, response, tokenizer):
    ids, _ = ref.build_sft_example(prompt, response, tokenizer)
    return ids, ids.clone()


def _sft_mask_by_characters(prompt, response, tokenizer):
    ids, labels = ref.build_sft_example(prompt, response, tokenizer)
    labels = ids.clone()
    labels[: len(f"<bos><问>{prompt}<答>")] = -100
    return ids, labels


def _sft_answer_marker_counted(prompt, response, tokenizer):
    p, r = _sft_parts(prompt, response, tokenizer)
    ids = torch.tensor(p + r)
    labels = ids.clone()
    labels[: len(p) - 1] = -100
    return ids, labels


def _sft_labels_preshifted(prompt, response, tokenizer):
    ids, labels = ref.build_sft_example(prompt, response, tokenizer)
    shifted = torch.full_like(labels, -100)
    shifted[:-1] = labels[1:]
    return ids, shifted


SFT_ORACLES = (
    Oracle(
        "masks_inputs",
        _sft_masks_inputs,
        "把 −100 放进了 input_ids：模型的输入必须是完整的提示 + 回答；−100 只出现在 labels 里。",
    ),
    Oracle(
        "drops_eos",
        _sft_drops_eos,
        "回答后面少了 <eos>：它要出现在 input_ids 里并计入损失，模型才学会何时停下。",
    ),
    Oracle(
        "eos_masked", _sft_eos_masked, "<eos> 的 label 被设成了 −100：<eos> 属于回答，要计入损失。"
    ),
    Oracle(
        "no_mask",
        _sft_no_mask,
        "提示（prompt）部分没有屏蔽：<bos>…<答> 的 labels 应为 −100，只训练回答。",
    ),
    Oracle(
        "mask_by_characters",
        _sft_mask_by_characters,
        "按字符串长度屏蔽了：'<bos>' 这类特殊记号是 1 个 token 却有 5 个字符；"
        "应按 token 数（len(encode(提示))）屏蔽。",
    ),
    Oracle(
        "answer_marker_counted",
        _sft_answer_marker_counted,
        "<答> 也属于提示，它的 label 应为 −100（差一位 off-by-one）。",
    ),
    Oracle(
        "labels_preshifted",
        _sft_labels_preshifted,
        "labels 已经错位了：约定 labels 与 input_ids 对齐，错位由 next_token_loss 完成。",
    ),
)

# ---- the checks, in notebook order -------------------------------------------------------------

CHECKS = (
    Check(
        "L+1/next_token_loss/values",
        "next_token_loss",
        "next_token_loss：错位与整批平均",
        2,
        _loss_value_cases,
        ref.next_token_loss,
        oracles=LOSS_ORACLES,
    ),
    Check(
        "L+1/next_token_loss/ignore_index",
        "next_token_loss",
        "next_token_loss：ignore_index（提示、填充、整行被忽略）",
        2,
        _loss_ignore_cases,
        ref.next_token_loss,
        oracles=LOSS_ORACLES,
    ),
    Check(
        "L+1/next_token_loss/stability",
        "next_token_loss",
        "next_token_loss：logits 为 1e4 量级时数值稳定",
        1,
        _loss_stability_cases,
        ref.next_token_loss,
        oracles=LOSS_ORACLES,
    ),
    Check(
        "L+1/next_token_loss/gradients",
        "next_token_loss",
        "next_token_loss：对 logits 的梯度",
        1,
        _loss_grad_cases,
        ref.next_token_loss,
        oracles=LOSS_ORACLES,
    ),
    Check(
        "L+1/perplexity/values",
        "perplexity",
        "困惑度 perplexity",
        1,
        _ppl_cases,
        ref.perplexity,
        oracles=PPL_ORACLES,
    ),
    Check(
        "L+1/pack_documents/values",
        "pack_documents",
        "pack_documents：EOS 与切块",
        2,
        _pack_value_cases,
        ref.pack_documents,
        exact=True,
        oracles=PACK_ORACLES,
        waivers={
            "size_one": "inputs are lists of token ids (no tensors); seq_len = 1 and a one-token document are in the edges check"
        },
    ),
    Check(
        "L+1/pack_documents/edges",
        "pack_documents",
        "pack_documents：最后一块、整除、长文档",
        1,
        _pack_edge_cases,
        ref.pack_documents,
        exact=True,
        oracles=PACK_ORACLES,
        waivers={
            "size_one": "inputs are lists of token ids (no tensors); seq_len_1 and one-token documents are the size-1 cases"
        },
    ),
    Check(
        "L+1/cosine_lr/warmup",
        "cosine_lr",
        "cosine_lr：线性预热（第 0 步的约定）",
        1,
        _lr_warmup_cases,
        ref.cosine_lr,
        oracles=LR_ORACLES,
        waivers={"size_one": "scalar inputs only; warmup_steps = 1 is the size-1 case"},
    ),
    Check(
        "L+1/cosine_lr/decay",
        "cosine_lr",
        "cosine_lr：余弦衰减与结束之后",
        1,
        _lr_decay_cases,
        ref.cosine_lr,
        oracles=LR_ORACLES,
        waivers={"size_one": "scalar inputs only; warmup_steps = 0 is the edge case"},
    ),
    SummaryCheck(
        "L+1/mix_domains/distribution",
        "mix_domains",
        "mix_domains：领域比例、领域内下标（按大样本的统计量判分）",
        2,
        _mix_cases,
        ref.mix_domains,
        atol=0.03,
        rtol=0.0,
        oracles=MIX_ORACLES,
        summary=_mixture_summary,
        expected=_mix_expected,
        waivers={
            "size_one": "lists and a count, judged on statistics of 20000 draws; n = 1 says nothing about a distribution"
        },
    ),
    Check(
        "L+1/interpolate_positions/values",
        "interpolate_positions",
        "interpolate_positions：按 old_len/new_len 缩放",
        1,
        _pi_value_cases,
        ref.interpolate_positions,
        oracles=PI_ORACLES,
    ),
    Check(
        "L+1/interpolate_positions/edges",
        "interpolate_positions",
        "interpolate_positions：new_len ≤ old_len 与 dtype",
        1,
        _pi_edge_cases,
        ref.interpolate_positions,
        oracles=PI_ORACLES,
    ),
    Check(
        "L+1/build_sft_example/values",
        "build_sft_example",
        "build_sft_example：对话格式、提示屏蔽、EOS 计入损失",
        2,
        _sft_value_cases,
        ref.build_sft_example,
        exact=True,
        oracles=SFT_ORACLES,
        waivers={
            "size_one": "strings and a tokenizer (no tensors); the one-character prompt and the empty response are in the edges check"
        },
    ),
    Check(
        "L+1/build_sft_example/edges",
        "build_sft_example",
        "build_sft_example：空回答、别的词表、长提示",
        1,
        _sft_edge_cases,
        ref.build_sft_example,
        exact=True,
        oracles=SFT_ORACLES,
        waivers={
            "size_one": "strings and a tokenizer (no tensors); a one-character prompt and an empty response are the size-1 cases"
        },
    ),
)

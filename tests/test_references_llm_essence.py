"""The L0 references against something independent of them.

Independent sources: torch built-ins (torch.softmax, F.layer_norm, F.cross_entropy,
F.scaled_dot_product_attention), the shipped TinyGPT (its attention module, its parameter
count, its own sampler `_pick_next`), published figures (GPT-2 small: 124,439,808
parameters), hand-computed cases and hypothesis properties. Also the case design the checks
rely on: top-p cases stay clear of their thresholds, so float rounding never decides them.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.checks import llm_essence as checks
from autograder.references import llm_essence as ref
from course import evidence
from course.tinygpt import Block, CausalSelfAttention, TinyGPT, TinyGPTConfig, _pick_next

F64 = torch.float64
PROPERTY = settings(max_examples=50, deadline=None, derandomize=True)

pytestmark = pytest.mark.usefixtures("one_thread")


def _randn(seed: int, *shape: int, dtype: torch.dtype = F64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64).to(dtype)


# ---- softmax ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_torch(dim):
    x = _randn(0, 3, 4, 5) * 5
    torch.testing.assert_close(ref.softmax(x, dim), torch.softmax(x, dim), rtol=1e-12, atol=0)


def test_softmax_exact_at_1e4_in_float32():
    x = torch.tensor([[1e4, -1e4, 0.0, 9999.0], [-1e4, -1e4, -9998.0, -1e4]])
    want = torch.softmax(x.double(), -1).float()
    torch.testing.assert_close(ref.softmax(x), want, rtol=1e-6, atol=0)
    assert ref.softmax(x).dtype == torch.float32


def test_softmax_hand_case_and_masked_entries():
    e = math.e
    got = ref.softmax(torch.tensor([1.0, 2.0, 3.0], dtype=F64))
    want = torch.tensor([1, e, e * e], dtype=F64) / (1 + e + e * e)
    torch.testing.assert_close(got, want)
    masked = ref.softmax(torch.tensor([0.0, float("-inf"), 0.0]))
    assert masked.tolist() == [0.5, 0.0, 0.5]


@PROPERTY
@given(
    st.lists(st.floats(-50, 50), min_size=1, max_size=12),
    st.floats(-1e3, 1e3),
)
def test_softmax_properties(values, shift):
    x = torch.tensor(values, dtype=F64)
    p = ref.softmax(x)
    assert torch.all(p >= 0) and abs(float(p.sum()) - 1) < 1e-12
    torch.testing.assert_close(ref.softmax(x + shift), p, rtol=1e-9, atol=1e-12)  # shift-invariant


# ---- next_token_probs / sample_next ----------------------------------------------------------------


def test_next_token_probs_without_filters_is_softmax_of_scaled_logits():
    logits = _randn(1, 4, 9)
    torch.testing.assert_close(ref.next_token_probs(logits, 0.7), torch.softmax(logits / 0.7, -1))


def test_greedy_is_one_hot_on_first_max():
    probs = ref.next_token_probs(torch.tensor([[1.0, 3.0, 3.0, 0.0]]), 0.0)
    assert probs.tolist() == [[0.0, 1.0, 0.0, 0.0]]


def test_top_p_hand_cases():
    logits = torch.tensor([0.05, 0.5, 0.15, 0.3], dtype=F64).log()
    # sorted 0.5, 0.3, 0.15, 0.05; mass before each: 0, 0.5, 0.8, 0.95
    kept = {p: (ref.next_token_probs(logits, 1.0, None, p) > 0).tolist() for p in (0.4, 0.75, 0.9)}
    assert kept[0.4] == [False, True, False, False]
    assert kept[0.75] == [False, True, False, True]  # 0.3 crosses 0.75 and is kept
    assert kept[0.9] == [False, True, True, True]
    torch.testing.assert_close(
        ref.next_token_probs(logits, 1.0, None, 0.75),
        torch.tensor([0, 0.625, 0, 0.375], dtype=F64),
    )


def test_ties_at_the_boundary_are_kept():
    assert (ref.next_token_probs(torch.tensor([2.0, 1.0, 1.0, 0.0]), 1.0, 2) > 0).sum() == 3
    tied = torch.tensor([0.2, 0.4, 0.2, 0.2], dtype=F64).log()
    assert (ref.next_token_probs(tied, 1.0, None, 0.5) > 0).all()


def test_next_token_probs_agrees_with_tinygpt_sampler():
    """TinyGPT's own `_pick_next` (written independently) draws from the same distribution."""
    logits = torch.tensor([0.05, 0.42, 0.13, 0.25, 0.1, 0.05]).log()
    n = 20000
    for kwargs in ({"top_k": 3}, {"top_p": 0.6}, {"top_k": 4, "top_p": 0.8}):
        gen = torch.Generator().manual_seed(0)
        ids = _pick_next(logits.expand(n, -1), 1.5, kwargs.get("top_k"), kwargs.get("top_p"), gen)
        freq = torch.bincount(ids, minlength=6).double() / n
        want = ref.next_token_probs(logits, 1.5, **kwargs).double()
        assert (freq - want).abs().max() < 0.015, (kwargs, freq, want)


def test_sample_next_is_reproducible_and_greedy_at_zero():
    logits = _randn(2, 50, 7)
    a = ref.sample_next(logits, 1.0, None, 0.9, torch.Generator().manual_seed(3))
    b = ref.sample_next(logits, 1.0, None, 0.9, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.dtype == torch.int64 and a.shape == (50,)
    assert torch.equal(ref.sample_next(logits, 0.0), logits.argmax(-1))


def test_top_p_cases_are_clear_of_their_thresholds():
    """Every top-p case of the checks has its threshold at least 0.01 from a cumulative mass."""
    for make in (checks._top_p_cases, checks._distribution_cases, checks._generator_cases):
        for case in make(torch.Generator().manual_seed(0)):
            top_p = case.kwargs.get("top_p")
            if top_p is None or top_p >= 1:
                continue
            kw = {k: v for k, v in case.kwargs.items() if k not in ("top_p", "generator")}
            probs = ref.next_token_probs(case.args[0], **kw).reshape(-1, case.args[0].shape[-1])
            for row in probs.double():
                sorted_p = row.sort(descending=True).values
                cum = sorted_p.cumsum(0)
                distinct = [
                    float(c) for c, nxt in zip(cum[:-1], sorted_p[1:], strict=True) if nxt > 0
                ]
                gaps = [abs(c - top_p) for c in distinct]
                assert not gaps or min(gaps) >= 0.01 or "tie" in case.name, (case.name, gaps)


def test_sampling_check_tolerance_is_fair():
    """Correct samplers with 10 different seeds all pass the distribution check."""
    check = next(c for c in checks.SAMPLE_CHECKS if c.id.endswith("/distribution"))
    cases = check.build_cases()
    for seed in range(10):
        spec = check.spec(cases)
        for case in spec["cases"]:
            case["kwargs"]["generator"] = {evidence.GENERATOR_SEED: 1000 + seed}
        record = evidence.run_cases(ref.sample_next, spec)
        assert check.judge(record, cases).passed, seed


# ---- attention, layer norm, block ----------------------------------------------------------------


def test_causal_mask_matches_sdpa_is_causal():
    T = 6
    q, k, v = (_randn(s, 2, T, 4) for s in (3, 4, 5))
    with_mask = F.scaled_dot_product_attention(q, k, v, attn_mask=ref.causal_mask(T))
    torch.testing.assert_close(with_mask, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert ref.causal_mask(3).tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, True],
    ]


def test_multi_head_attention_matches_tinygpt_attention():
    torch.manual_seed(0)
    attn = CausalSelfAttention(TinyGPTConfig(d_model=12, n_heads=3)).double()
    x = _randn(6, 2, 5, 12)
    ours = ref.multi_head_attention(
        x,
        attn.q_proj.weight,
        attn.k_proj.weight,
        attn.v_proj.weight,
        attn.out_proj.weight,
        3,
        ref.causal_mask(5),
    )
    torch.testing.assert_close(ours, attn(x).detach())


def test_multi_head_attention_matches_torch_multihead_attention():
    torch.manual_seed(1)
    mha = torch.nn.MultiheadAttention(12, 3, bias=False, batch_first=True).double()
    w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
    x = _randn(7, 2, 5, 12)
    mask = ref.causal_mask(5)
    want, _ = mha(x, x, x, attn_mask=~mask, need_weights=False)  # torch: True = masked out
    got = ref.multi_head_attention(x, w_q, w_k, w_v, mha.out_proj.weight, 3, mask)
    torch.testing.assert_close(got, want.detach())


def test_layer_norm_matches_torch():
    x, w, b = _randn(8, 3, 7), _randn(9, 7), _randn(10, 7)
    torch.testing.assert_close(ref.layer_norm(x, w, b, 1e-3), F.layer_norm(x, (7,), w, b, 1e-3))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_reference_block_reproduces_tinygpts_block(dtype):
    torch.manual_seed(0)
    block = Block(TinyGPTConfig(d_model=16, n_heads=4, mlp_ratio=2, norm_eps=1e-4)).to(dtype)
    ours = ref.TransformerBlock(16, 4, mlp_ratio=2, eps=1e-4).to(dtype)
    ours.load_state_dict(block.state_dict(), strict=True)
    x = _randn(11, 2, 5, 16, dtype=dtype)
    torch.testing.assert_close(ours(x), block(x))


def test_reference_block_reproduces_the_pretrained_blocks():
    """The graded cases compare with this reference: it equals the shipped model's blocks."""
    from course.tinygpt import load

    model, _ = load("pretrained")
    _, hidden = checks._tinygpt_hidden()
    for i, block in enumerate(model.blocks):
        ours = ref.TransformerBlock(128, 4)
        ours.load_state_dict(block.state_dict(), strict=True)
        with torch.no_grad():
            torch.testing.assert_close(ours(hidden[i]), block(hidden[i]), rtol=1e-5, atol=2e-5)


def test_block_case_builds_through_evidence():
    """course.evidence builds the class, loads the state (strict names) and calls it."""
    check = next(c for c in checks.BLOCK_CHECKS if c.id.endswith("/tinygpt"))
    spec = check.spec()
    out = evidence.run_cases(ref.TransformerBlock, spec, enforce=False)
    assert all(r["ok"] for r in out["results"])
    states, hidden = checks._tinygpt_hidden()
    # block 0's output is block 1's input
    torch.testing.assert_close(out["results"][0]["value"], hidden[1][:1], rtol=1e-5, atol=2e-5)


# ---- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"n_layers": 1},
        {"d_model": 48, "n_heads": 8, "mlp_ratio": 2},
        {"vocab_size": 7, "block_size": 3},
    ],
)
def test_count_parameters_matches_tinygpt(overrides):
    config = TinyGPTConfig(**overrides)
    model = TinyGPT(config)
    assert ref.count_parameters(asdict(config)) == sum(p.numel() for p in model.parameters())


def test_count_parameters_published_figures():
    assert ref.count_parameters(asdict(TinyGPTConfig())) == 833_536  # README, course/tinygpt.py
    # GPT-2 small: 124,439,808 with biases and tied embeddings (the "124M" of its model card)
    assert ref.count_parameters(checks.GPT2_SMALL) == 124_439_808


def test_count_parameters_untied_and_bias_by_building_them():
    config = asdict(TinyGPTConfig(vocab_size=11, block_size=5, d_model=8, n_heads=2, n_layers=2))
    model = TinyGPT(TinyGPTConfig(**config))
    n_tied = sum(p.numel() for p in model.parameters())
    assert ref.count_parameters({**config, "tie_embeddings": False}) == n_tied + 11 * 8
    # with bias=True every Linear of a layer gets its bias: build one layer's Linears to count
    d, hidden = 8, 4 * 8
    linears = [torch.nn.Linear(d, d) for _ in range(4)] + [
        torch.nn.Linear(d, hidden),
        torch.nn.Linear(hidden, d),
    ]
    per_layer_bias = sum(m.bias.numel() for m in linears)
    assert ref.count_parameters({**config, "bias": True}) == n_tied + 2 * per_layer_bias


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16", "float16", "int8"])
def test_param_bytes_matches_element_size(dtype):
    size = torch.empty(0, dtype=getattr(torch, dtype)).element_size()
    assert ref.param_bytes(833_536, dtype) == 833_536 * size


def test_param_bytes_int4_packs_two_per_byte():
    assert ref.param_bytes(8, "int4") == 4 and ref.param_bytes(7, "int4") == 4


def test_tinygpt_float16_checkpoint_size_is_about_param_bytes():
    from course.tinygpt import checkpoint_path

    size = checkpoint_path("pretrained").stat().st_size
    weights = ref.param_bytes(833_536, "float16")
    assert weights < size < weights * 1.1  # the rest is the config, vocabulary and pickle framing


# ---- text_logprob ----------------------------------------------------------------------------


def test_text_logprob_matches_cross_entropy():
    logits, ids = (
        _randn(12, 3, 6, 11),
        torch.randint(0, 11, (3, 6), generator=torch.Generator().manual_seed(0)),
    )
    nll = F.cross_entropy(logits[:, :-1].reshape(-1, 11), ids[:, 1:].reshape(-1), reduction="none")
    torch.testing.assert_close(ref.text_logprob(logits, ids), -nll.view(3, 5).sum(-1))


def test_text_logprob_hand_case():
    logits = torch.log(torch.tensor([[[0.1, 0.2, 0.3, 0.4], [0.25] * 4, [0.7, 0.1, 0.1, 0.1]]]))
    got = ref.text_logprob(logits, torch.tensor([[3, 2, 1]]))
    torch.testing.assert_close(got, torch.tensor([math.log(0.3) + math.log(0.25)]))

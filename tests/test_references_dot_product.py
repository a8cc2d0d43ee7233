"""The L-2 references against something independent of them.

Independent sources: torch built-ins (torch.dot, F.cosine_similarity,
F.scaled_dot_product_attention, torch.topk on F.normalize'd rows), cases computed by hand,
and statistical facts (Var(q·k) = d for standard normal q, k), plus hypothesis properties.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.references import dot_product as ref

F64 = torch.float64
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)


pytestmark = pytest.mark.usefixtures("one_thread")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = F64) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=F64).to(dtype)


def _close(got: torch.Tensor, want: torch.Tensor, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    torch.testing.assert_close(got, want, rtol=rtol, atol=atol)


def vectors(d: int, low: float = -100.0, high: float = 100.0):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return st.lists(floats, min_size=d, max_size=d).map(lambda xs: torch.tensor(xs, dtype=F64))


def vector_pairs(low: float = -100.0, high: float = 100.0):
    return st.integers(1, 8).flatmap(
        lambda d: st.tuples(vectors(d, low, high), vectors(d, low, high))
    )


# ---- dot ---------------------------------------------------------------------------------


def test_dot_by_hand() -> None:
    got = ref.dot(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, -5.0, 6.0]))
    assert got.shape == () and got.item() == 12.0  # 4 - 10 + 18


def test_dot_rows_match_torch_dot() -> None:
    gen = _gen(1)
    a, b = _randn(gen, 6, 9) * 1000, _randn(gen, 6, 9)
    want = torch.stack([torch.dot(x, y) for x, y in zip(a, b, strict=True)])
    _close(ref.dot(a, b), want)


def test_dot_broadcasts_like_batched_matmul() -> None:
    gen = _gen(2)
    a, b = _randn(gen, 3, 1, 5), _randn(gen, 1, 4, 5)
    want = torch.matmul(a.unsqueeze(-2), b.unsqueeze(-1))[..., 0, 0]
    _close(ref.dot(a, b), want)
    assert ref.dot(a, b).shape == (3, 4)


def test_dot_keeps_float64_precision() -> None:
    a = torch.tensor([1e8, 1.0, -1e8], dtype=F64)
    assert ref.dot(a, torch.ones(3, dtype=F64)).item() == 1.0


@PROPERTY
@given(
    st.floats(0.1, 10),
    st.floats(0.1, 10),
    st.floats(-math.pi, math.pi),
    st.floats(-math.pi, math.pi),
)
def test_dot_algebraic_equals_geometric(r1: float, r2: float, alpha: float, beta: float) -> None:
    """a·b = ‖a‖‖b‖cos θ, with θ the difference of the polar angles."""
    a = torch.tensor([r1 * math.cos(alpha), r1 * math.sin(alpha)], dtype=F64)
    b = torch.tensor([r2 * math.cos(beta), r2 * math.sin(beta)], dtype=F64)
    assert ref.dot(a, b).item() == pytest.approx(r1 * r2 * math.cos(alpha - beta), abs=1e-9)


# ---- angle_between --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ((1.0, 0.0), (1.0, 1.0), math.pi / 4),
        ((3.0, 0.0), (0.0, -2.0), math.pi / 2),
        ((1.0, 0.0), (-2.0, 0.0), math.pi),
        ((1.0, 2.0), (2.0, 4.0), 0.0),
        ((1.0, 0.0), (-1.0, math.sqrt(3.0)), 2 * math.pi / 3),
    ],
)
def test_angle_by_hand(a, b, want) -> None:
    got = ref.angle_between(torch.tensor(a, dtype=F64), torch.tensor(b, dtype=F64))
    assert got.item() == pytest.approx(want, abs=1e-7)


def test_angle_parallel_never_nan() -> None:
    """Rounding can push the cosine of (anti)parallel vectors past ±1; the clamp absorbs it."""
    gen = _gen(3)
    a = _randn(gen, 2000, 6)
    scales = torch.rand(2000, 1, generator=gen, dtype=F64) * 9 + 0.5
    unclamped = ref.dot(a, a * scales) / (a.norm(dim=-1) * (a * scales).norm(dim=-1))
    assert (unclamped.abs() > 1).any(), "no rounding past 1: this test would prove nothing"
    parallel, antiparallel = ref.angle_between(a, a * scales), ref.angle_between(a, -a * scales)
    assert not parallel.isnan().any() and not antiparallel.isnan().any()
    _close(parallel, torch.zeros(2000, dtype=F64), atol=1e-7)
    _close(antiparallel, torch.full((2000,), math.pi, dtype=F64), atol=1e-7)


@PROPERTY
@given(
    st.floats(0.1, 10),
    st.floats(0.1, 10),
    st.floats(-math.pi, math.pi),
    st.floats(-math.pi, math.pi),
)
def test_angle_is_difference_of_polar_angles(
    r1: float, r2: float, alpha: float, beta: float
) -> None:
    a = torch.tensor([r1 * math.cos(alpha), r1 * math.sin(alpha)], dtype=F64)
    b = torch.tensor([r2 * math.cos(beta), r2 * math.sin(beta)], dtype=F64)
    gap = abs(alpha - beta) % (2 * math.pi)
    want = min(gap, 2 * math.pi - gap)
    assert ref.angle_between(a, b).item() == pytest.approx(want, abs=1e-6)


# ---- cosine_similarity ----------------------------------------------------------------------


def test_cosine_by_hand() -> None:
    got = ref.cosine_similarity(torch.tensor([1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 0.0]))
    assert got.item() == pytest.approx(0.5, abs=1e-7)


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "dim"),
    [
        ((6, 10), (6, 10), -1),
        ((4, 1, 8), (1, 5, 8), -1),
        ((8, 3), (8, 3), 0),
        ((2, 8, 3), (2, 8, 3), 1),
        ((5,), (5,), 0),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_cosine_matches_torch(shape_a, shape_b, dim, dtype) -> None:
    gen = _gen(4)
    a, b = _randn(gen, *shape_a, dtype=dtype) * 1000, _randn(gen, *shape_b, dtype=dtype) * 1e-3
    want = F.cosine_similarity(a, b, dim=dim)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    _close(ref.cosine_similarity(a, b, dim=dim), want, **tol)


def test_cosine_zero_vector_is_zero_like_torch() -> None:
    gen = _gen(5)
    a, b = _randn(gen, 4, 6), _randn(gen, 4, 6)
    a[1], b[2], b[1] = 0.0, 0.0, 0.0
    got = ref.cosine_similarity(a, b)
    assert not got.isnan().any()
    assert got[1].item() == 0.0 and got[2].item() == 0.0
    _close(got, F.cosine_similarity(a, b, dim=-1))


@PROPERTY
@given(vector_pairs())
def test_cosine_properties(pair) -> None:
    a, b = pair
    cos = ref.cosine_similarity(a, b)
    assert -1 - 1e-12 <= cos.item() <= 1 + 1e-12
    assert ref.cosine_similarity(b, a).item() == cos.item()  # symmetric
    assert ref.cosine_similarity(-a, b).item() == pytest.approx(-cos.item(), abs=1e-12)
    if a.norm() > 1e-3 and b.norm() > 1e-3:  # away from the eps floor: scale invariant
        assert ref.cosine_similarity(7.5 * a, 0.01 * b).item() == pytest.approx(
            cos.item(), abs=1e-9
        )
        assert ref.cosine_similarity(a, a).item() == pytest.approx(1.0, abs=1e-12)


# ---- pairwise_cosine ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_pairwise_matches_torch(dtype) -> None:
    gen = _gen(6)
    A, B = _randn(gen, 5, 6, dtype=dtype), _randn(gen, 7, 6, dtype=dtype) * 10
    A[3] = 0.0
    got = ref.pairwise_cosine(A, B)
    want = F.cosine_similarity(A[:, None, :], B[None, :, :], dim=-1)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    _close(got, want, **tol)
    assert got.shape == (5, 7)
    assert (got[3] == 0).all()


def test_pairwise_by_hand() -> None:
    A = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=F64)
    B = torch.tensor([[3.0, 3.0], [-1.0, 0.0], [0.0, 0.0]], dtype=F64)
    s = 1 / math.sqrt(2)
    _close(ref.pairwise_cosine(A, B), torch.tensor([[s, -1.0, 0.0], [s, 0.0, 0.0]], dtype=F64))


# ---- dot_product_variance --------------------------------------------------------------------


def test_variance_by_hand() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=F64)
    # scores 1, 1, 2: mean 4/3, squared deviations 1/9 + 1/9 + 4/9 = 2/3, over n - 1 = 2
    assert ref.dot_product_variance(q, q, scale=False).item() == pytest.approx(1 / 3)
    assert ref.dot_product_variance(q, q).item() == pytest.approx(1 / 6)  # divided by d = 2
    assert ref.dot_product_variance(q, q, scale=True).item() == pytest.approx(1 / 6)


def test_variance_matches_torch_var_of_einsum() -> None:
    gen = _gen(7)
    q, k = _randn(gen, 40, 9), _randn(gen, 40, 9)
    scores = torch.einsum("nd,nd->n", q, k)
    _close(ref.dot_product_variance(q, k, scale=False), torch.var(scores, correction=1))
    _close(ref.dot_product_variance(q, k), torch.var(scores / 3.0, correction=1))


@pytest.mark.parametrize("d", [4, 16, 64, 256])
def test_variance_statistics(d: int) -> None:
    """For q, k with iid N(0, 1) entries, s = q·k has Var s = d exactly; s/√d has variance 1.

    s is a sum of d iid products with variance 1 and fourth cumulant 9 - 3 = 6, so
    E[s⁴] = 3d² + 6d and the sample variance of n scores has relative standard error
    √((2 + 6/d) / n). With n = 20 000 that is at most 1.3 %; we allow 5 standard errors.
    """
    n = 20_000
    gen = _gen(100 + d)
    q, k = _randn(gen, n, d), _randn(gen, n, d)
    tol = 5 * math.sqrt((2 + 6 / d) / n)
    raw = ref.dot_product_variance(q, k, scale=False).item()
    scaled = ref.dot_product_variance(q, k, scale=True).item()
    assert raw / d == pytest.approx(1.0, abs=tol)
    assert scaled == pytest.approx(1.0, abs=tol)
    assert scaled == pytest.approx(raw / d, rel=1e-12)


# ---- scaled_dot_product_attention ------------------------------------------------------------


def _qkv(gen: torch.Generator, *batch: int, dtype=F64, scale: float = 3.0, lq=5, lk=7, d=9, dv=4):
    return (
        _randn(gen, *batch, lq, d, dtype=dtype) * scale,
        _randn(gen, *batch, lk, d, dtype=dtype) * scale,
        _randn(gen, *batch, lk, dv, dtype=dtype),
    )


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_attention_matches_torch_without_mask(batch, dtype) -> None:
    q, k, v = _qkv(_gen(8), *batch, dtype=dtype)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    _close(
        ref.scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v), **tol
    )


def test_attention_large_scores_match_torch() -> None:
    q, k, v = _qkv(_gen(9), 2, scale=100.0)
    got = ref.scaled_dot_product_attention(q, k, v)
    assert not got.isnan().any()
    _close(got, F.scaled_dot_product_attention(q, k, v))


def _masks(gen: torch.Generator) -> list[torch.Tensor]:
    random = torch.rand(5, 7, generator=gen) < 0.5
    random[:, 3] = True  # every query may attend to at least one key
    return [
        random,
        torch.ones(5, 7, dtype=torch.bool).tril(diagonal=2),  # causal, shifted, non-square
        torch.eye(5, 7, dtype=torch.bool),  # exactly one key per query
        torch.tensor([[True] * 7, [True] * 4 + [False] * 3]).reshape(2, 1, 7),  # key padding
    ]


@pytest.mark.parametrize("which", range(4))
def test_attention_bool_mask_matches_torch(which: int) -> None:
    """torch's bool attn_mask means True = may attend: the same convention as ours."""
    gen = _gen(10)
    mask = _masks(gen)[which]
    q, k, v = _qkv(gen, 2)
    _close(
        ref.scaled_dot_product_attention(q, k, v, mask),
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
    )


def test_attention_one_allowed_key_copies_its_value() -> None:
    q, k, v = _qkv(_gen(11))
    mask = torch.zeros(5, 7, dtype=torch.bool)
    mask[torch.arange(5), torch.tensor([6, 0, 3, 3, 1])] = True
    _close(ref.scaled_dot_product_attention(q, k, v, mask), v[[6, 0, 3, 3, 1]])


def test_attention_equal_scores_average_the_values() -> None:
    _, k, v = _qkv(_gen(12))
    q = torch.zeros(5, 9, dtype=F64)
    _close(ref.scaled_dot_product_attention(q, k, v), v.mean(dim=0).expand(5, 4))


def test_attention_gradients_match_torch() -> None:
    q, k, v = _qkv(_gen(13), 2)
    mask = _masks(_gen(14))[0]
    w = torch.randn(2, 5, 4, generator=_gen(15), dtype=F64)
    grads = []
    for fn in (
        lambda q, k, v: ref.scaled_dot_product_attention(q, k, v, mask),
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
    ):
        leaves = [t.clone().requires_grad_(True) for t in (q, k, v)]
        (fn(*leaves) * w).sum().backward()
        grads.append([t.grad for t in leaves])
    for mine, theirs in zip(*grads, strict=True):
        _close(mine, theirs)


@st.composite
def attention_inputs(draw):
    lq, lk, d, dv = (draw(st.integers(1, 6)) for _ in range(4))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0, 100.0]))
    gen = _gen(seed)
    q, k, v = _qkv(gen, lq=lq, lk=lk, d=d, dv=dv, scale=scale)
    mask = torch.rand(lq, lk, generator=gen) < draw(st.floats(0.1, 1.0))
    mask[torch.arange(lq), torch.randint(0, lk, (lq,), generator=gen)] = True
    return q, k, v, mask


@PROPERTY
@given(attention_inputs())
def test_attention_output_is_a_convex_combination(inputs) -> None:
    """Rows of the weights are ≥ 0 and sum to 1, so each output lies in [min v, max v]."""
    q, k, v, mask = inputs
    out = ref.scaled_dot_product_attention(q, k, v, mask)
    assert out.shape == (q.shape[0], v.shape[1])
    low, high = v.min(dim=0).values, v.max(dim=0).values
    assert (out >= low - 1e-12).all() and (out <= high + 1e-12).all()
    weights = ref.scaled_dot_product_attention(q, k, torch.eye(k.shape[0], dtype=F64), mask)
    assert (weights >= 0).all() and (weights[~mask] == 0).all()
    _close(weights.sum(dim=-1), torch.ones(q.shape[0], dtype=F64))


# ---- top_k_retrieve --------------------------------------------------------------------------


def _corpus(gen: torch.Generator, n: int, d: int) -> torch.Tensor:
    lengths = torch.logspace(-1, 1, n, dtype=F64)[torch.randperm(n, generator=gen)]
    rows = _randn(gen, n, d)
    return (rows / rows.norm(dim=-1, keepdim=True) * lengths[:, None]).float()


def _topk_builtin(query: torch.Tensor, corpus: torch.Tensor, k: int) -> torch.Tensor:
    sims = F.normalize(query, dim=-1) @ F.normalize(corpus, dim=-1).T
    return torch.topk(sims, min(k, corpus.shape[0]), dim=-1).indices


@pytest.mark.parametrize("k", [1, 3, 12, 20])
@pytest.mark.parametrize("batch", [(), (4,)])
def test_top_k_matches_torch_topk_on_normalised_rows(k, batch) -> None:
    gen = _gen(16)
    corpus, query = _corpus(gen, 12, 6), _randn(gen, *batch, 6, dtype=torch.float32) * 50
    got = ref.top_k_retrieve(query, corpus, k)
    assert got.dtype == torch.int64
    assert got.shape == (*batch, min(k, 12))
    assert torch.equal(got, _topk_builtin(query, corpus, k))


def test_top_k_by_hand_cosine_not_raw_dot() -> None:
    corpus = torch.tensor([[10.0, 10.0], [1.0, 0.0], [0.0, 3.0]])
    query = torch.tensor([1.0, 0.0])
    # cosines 0.707, 1, 0; raw dot products 10, 1, 0 would rank row 0 first
    assert ref.top_k_retrieve(query, corpus, 3).tolist() == [1, 0, 2]
    assert ref.top_k_retrieve(query, corpus, 1).tolist() == [1]
    assert ref.top_k_retrieve(query, corpus, 99).tolist() == [1, 0, 2]
    assert ref.top_k_retrieve(query[None], corpus, 2).tolist() == [[1, 0]]

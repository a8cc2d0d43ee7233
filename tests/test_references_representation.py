"""The L-3 references against independent sources: torch built-ins, loops, hand-computed cases."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.references import representation as ref

pytestmark = pytest.mark.usefixtures("one_thread")
F64 = torch.float64

# ---- one_hot ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    vocab_size=st.integers(1, 9),
    seed=st.integers(0, 10_000),
    dtype=st.sampled_from([torch.int64, torch.int32, torch.uint8]),
)
def test_one_hot_matches_torch_builtin(shape, vocab_size, seed, dtype):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab_size, tuple(shape), generator=gen).to(dtype)
    out = ref.one_hot(ids, vocab_size)
    assert out.dtype == torch.float32
    assert torch.equal(out, F.one_hot(ids.long(), vocab_size).float())


@pytest.mark.parametrize(
    "ids, vocab_size",
    [
        (torch.tensor([1.0, 2.0]), 5),
        (torch.tensor([0.0], dtype=F64), 5),
        (torch.tensor([True, False]), 5),
        (torch.tensor([0, 5]), 5),
        (torch.tensor([[1, -1]]), 5),
    ],
)
def test_one_hot_raises_value_error(ids, vocab_size):
    with pytest.raises(ValueError):
        ref.one_hot(ids, vocab_size)


def test_one_hot_times_table_is_a_lookup():
    E = torch.randn(7, 3, generator=torch.Generator().manual_seed(0))
    ids = torch.tensor([[6, 0, 3], [3, 3, 1]])
    assert torch.equal(ref.one_hot(ids, 7) @ E, E[ids])


# ---- skipgram_pairs --------------------------------------------------------------------------


def _pairs_by_itertools(ids: list[int], window: int) -> list[tuple[int, int]]:
    """Independent construction: all ordered position pairs, filtered, sorted by (i, j)."""
    positions = itertools.permutations(range(len(ids)), 2)
    return [(ids[i], ids[j]) for i, j in sorted(positions) if abs(i - j) <= window]


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.integers(0, 5), max_size=9), window=st.integers(1, 4))
def test_skipgram_pairs_match_an_independent_construction(ids, window):
    out = ref.skipgram_pairs(torch.tensor(ids, dtype=torch.int64), window)
    assert out.dtype == torch.int64 and out.shape[1:] == (2,)
    assert [tuple(r) for r in out.tolist()] == _pairs_by_itertools(ids, window)
    n = len(ids)
    assert len(out) == sum(min(i, window) + min(n - 1 - i, window) for i in range(n))


def test_skipgram_pairs_hand_case():
    out = ref.skipgram_pairs(torch.tensor([4, 5, 6]), 1)
    assert out.tolist() == [[4, 5], [5, 4], [5, 6], [6, 5]]


# ---- sgns_loss -------------------------------------------------------------------------------


def test_sgns_loss_equals_binary_cross_entropy():
    gen = torch.Generator().manual_seed(1)
    u, v = torch.randn(6, 4, generator=gen, dtype=F64), torch.randn(6, 4, generator=gen, dtype=F64)
    n = torch.randn(6, 3, 4, generator=gen, dtype=F64)
    pos = (u * v).sum(-1)
    neg = torch.einsum("bkd,bd->bk", n, u)
    bce = F.binary_cross_entropy_with_logits
    expected = bce(pos, torch.ones_like(pos), reduction="none") + bce(
        neg, torch.zeros_like(neg), reduction="none"
    ).sum(-1)
    torch.testing.assert_close(ref.sgns_loss(u, v, n), expected.mean())


def test_sgns_loss_hand_case_and_stability():
    u, v, n = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]]), torch.tensor([[[0.0, 1.0]]])
    expected = math.log(1 + math.exp(-1)) + math.log(2)
    assert ref.sgns_loss(u, v, n).item() == pytest.approx(expected, rel=1e-6)
    u_big, v_big, n_big = (
        torch.tensor([[100.0, 0.0]]),
        torch.tensor([[10.0, 0.0]]),
        torch.tensor([[[10.0, 0.0]]]),
    )
    big = ref.sgns_loss(u_big, v_big, n_big)  # u·v = 1000 (loss ≈ 0), u·n = 1000 (loss ≈ 1000)
    assert big.item() == pytest.approx(1000.0, rel=1e-6)


def test_sgns_loss_gradient_matches_finite_differences():
    gen = torch.Generator().manual_seed(2)
    args = [
        torch.randn(*s, generator=gen, dtype=F64, requires_grad=True)
        for s in ((3, 4), (3, 4), (3, 2, 4))
    ]
    assert torch.autograd.gradcheck(ref.sgns_loss, args)


# ---- glove_loss ------------------------------------------------------------------------------


def _glove_by_loop(W, Wc, b, bc, X, x_max=100.0, alpha=0.75):
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            x = float(X[i, j])
            if x > 0:
                f = (x / x_max) ** alpha if x < x_max else 1.0
                pred = float(W[i] @ Wc[j] + b[i] + bc[j])
                total += f * (pred - math.log(x)) ** 2
    return total


@pytest.mark.parametrize("x_max, alpha", [(100.0, 0.75), (10.0, 0.5)])
def test_glove_loss_matches_a_loop(x_max, alpha):
    gen = torch.Generator().manual_seed(3)
    W, Wc = torch.randn(4, 3, generator=gen, dtype=F64), torch.randn(5, 3, generator=gen, dtype=F64)
    b, bc = torch.randn(4, generator=gen, dtype=F64), torch.randn(5, generator=gen, dtype=F64)
    X = torch.randint(0, 250, (4, 5), generator=gen).to(F64)
    X[X < 60] = 0.0  # plenty of zeros
    got = ref.glove_loss(W, Wc, b, bc, X, x_max=x_max, alpha=alpha).item()
    assert got == pytest.approx(_glove_by_loop(W, Wc, b, bc, X, x_max, alpha), rel=1e-12)


def test_glove_weight_published_values():
    f = ref.glove_weight(torch.tensor([0.0, 50.0, 100.0, 1000.0], dtype=F64))
    assert f.tolist() == pytest.approx([0.0, 0.5**0.75, 1.0, 1.0])


def test_glove_loss_zero_counts_have_finite_zero_gradients():
    gen = torch.Generator().manual_seed(4)
    args = [
        torch.randn(*s, generator=gen, dtype=F64, requires_grad=True)
        for s in ((3, 2), (3, 2), (3,), (3,))
    ]
    X = torch.tensor([[5.0, 0.0, 1.0], [0.0, 0.0, 0.0], [2.0, 0.0, 300.0]], dtype=F64)
    ref.glove_loss(*args, X).backward()
    assert all(torch.isfinite(a.grad).all() for a in args)
    assert torch.equal(args[0].grad[1], torch.zeros(2, dtype=F64))  # word 1 never co-occurs
    assert ref.glove_loss(*args, torch.zeros(3, 3, dtype=F64)).item() == 0.0
    assert torch.autograd.gradcheck(lambda *a: ref.glove_loss(*a, X), args)


# ---- analogy ---------------------------------------------------------------------------------


def _analogy_brute_force(E, vocab, a, b, c, k):
    unit = [row / row.norm() for row in E]
    pick = dict(zip(vocab, unit, strict=True))
    t = pick[b] - pick[a] + pick[c]
    scored = [(-float(F.cosine_similarity(u, t, dim=0)), i) for i, u in enumerate(unit)]
    return [vocab[i] for _, i in sorted(scored) if vocab[i] not in (a, b, c)][:k]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 5))
def test_analogy_matches_brute_force(seed, k):
    gen = torch.Generator().manual_seed(seed)
    E = torch.randn(9, 4, generator=gen, dtype=F64) * torch.logspace(-1, 1, 9, dtype=F64)[:, None]
    vocab = [f"w{i}" for i in range(9)]
    a, b, c = (vocab[int(i)] for i in torch.randperm(9, generator=gen)[:3])
    assert ref.analogy(E, vocab, a, b, c, k) == _analogy_brute_force(E, vocab, a, b, c, k)


def test_analogy_king_queen_toy_and_ties():
    vocab = ["man", "woman", "king", "queen", "apple"]
    E = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [1.0, 1.0], [-1.0, 1.0], [0.1, -1.0]])
    assert ref.analogy(E, vocab, "man", "king", "woman") == ["queen"]
    tied = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    assert ref.analogy(tied, list("abcde"), "a", "b", "a", k=2) == ["d", "e"]


# ---- pca -------------------------------------------------------------------------------------


def test_pca_matches_covariance_eigenvectors_up_to_sign():
    gen = torch.Generator().manual_seed(5)
    X = (
        torch.randn(50, 4, generator=gen, dtype=F64) * torch.tensor([4.0, 2.0, 1.0, 0.5], dtype=F64)
        + 3
    )
    Z, comps = ref.pca(X, 3)
    values, vectors = torch.linalg.eigh(torch.cov(X.T))
    top = vectors[:, values.argsort(descending=True)[:3]].T
    torch.testing.assert_close(comps.abs(), top.abs())
    torch.testing.assert_close(Z, (X - X.mean(0)) @ comps.T)
    # the projected variances are the top eigenvalues of the covariance
    torch.testing.assert_close(Z.var(dim=0), values.sort(descending=True).values[:3])


def test_canonical_pca_signs_removes_only_the_sign():
    gen = torch.Generator().manual_seed(6)
    Z, comps = ref.pca(torch.randn(10, 5, generator=gen, dtype=F64), 2)
    flip = torch.tensor([-1.0, 1.0], dtype=F64)
    a = ref.canonical_pca_signs([Z, comps])
    b = ref.canonical_pca_signs([Z * flip, comps * flip[:, None]])
    torch.testing.assert_close(a, b)
    assert (a[1].gather(1, a[1].abs().argmax(1, keepdim=True)) > 0).all()


# ---- probe_direction -------------------------------------------------------------------------


def test_probe_direction_hand_case():
    X = torch.tensor([[2.0, 1.0], [2.0, 3.0], [0.0, 2.0], [0.0, 1.0], [0.0, 3.0]])
    labels = torch.tensor([True, True, False, False, False])
    torch.testing.assert_close(ref.probe_direction(X, labels), torch.tensor([1.0, 0.0]))

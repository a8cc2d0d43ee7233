"""The L-1 references against something independent of them, and the fixed contracts.

Independent sources: torch built-ins (torch.distributions.Categorical, torch.special.entr,
F.kl_div, F.cross_entropy with class probabilities, torch.linalg.matrix_power, torch.linalg.eig,
torch.matmul, F.linear), pure-Python counting, hand-computed cases, plus hypothesis properties
(KL ≥ 0, H(p, q) = H(p) + KL(p‖q), H(p) ≤ log V). The design.md contracts of entropy,
kl_divergence and bigram_model are checked edge case by edge case.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.references import math_foundations as ref

F64 = torch.float64
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)

pytestmark = pytest.mark.usefixtures("one_thread")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _probs(gen: torch.Generator, *shape: int) -> torch.Tensor:
    w = torch.rand(*shape, generator=gen, dtype=F64) + 1e-3
    return w / w.sum(-1, keepdim=True)


def _close(got: torch.Tensor, want: torch.Tensor, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    torch.testing.assert_close(got, want.to(got.dtype), rtol=rtol, atol=atol)


def distributions(n_min: int = 1, n_max: int = 8, zeros: bool = True):
    """Probability vectors (float64), optionally with exact zeros (never all zero)."""
    weights = st.floats(0.0 if zeros else 1e-3, 10.0, allow_nan=False, allow_subnormal=False)

    def build(ws: list[float]) -> torch.Tensor:
        w = torch.tensor(ws, dtype=F64)
        if w.sum() == 0:
            w[0] = 1.0
        return w / w.sum()

    return st.lists(weights, min_size=n_min, max_size=n_max).map(build)


def pairs(zeros_in_p: bool = True):
    return st.integers(1, 8).flatmap(
        lambda n: st.tuples(distributions(n, n, zeros_in_p), distributions(n, n, zeros=False))
    )


# ---- conditional and mean_var ------------------------------------------------------------------


def test_conditional_by_hand() -> None:
    joint = torch.tensor([[0.10, 0.20, 0.10], [0.30, 0.05, 0.25]], dtype=F64)
    _close(ref.conditional(joint, 0)[1], torch.tensor([0.5, 0.05 / 0.6, 0.25 / 0.6], dtype=F64))
    _close(ref.conditional(joint, 1)[:, 1], torch.tensor([0.8, 0.2], dtype=F64))
    _close(ref.conditional(joint, -1), ref.conditional(joint, 1))


def test_conditional_three_variables_is_bayes() -> None:
    joint = torch.rand(2, 3, 4, generator=_gen(1), dtype=F64)
    out = ref.conditional(joint, 1)
    for j in range(3):  # P(X0, X2 | X1 = j) = joint[:, j, :] / joint[:, j, :].sum()
        _close(out[:, j, :], joint[:, j, :] / joint[:, j, :].sum())


def test_conditional_zero_marginal_gives_zeros() -> None:
    joint = torch.tensor([[0.2, 0.3], [0.0, 0.0]])
    out = ref.conditional(joint, 0)
    assert not out.isnan().any() and out[1].eq(0).all() and out.dtype == torch.float32


def test_mean_var_by_hand_and_against_sampling_formula() -> None:
    mean, var = ref.mean_var(torch.arange(1, 7, dtype=F64), torch.full((6,), 1 / 6, dtype=F64))
    assert mean.item() == pytest.approx(3.5) and var.item() == pytest.approx(35 / 12)
    # an empirical distribution's population variance = torch.var(correction=0) of the sample
    sample = torch.randint(0, 9, (500,), generator=_gen(2)).to(F64)
    support, counts = sample.unique(return_counts=True)
    m, v = ref.mean_var(support, counts.to(F64) / counts.sum())
    assert m.item() == pytest.approx(sample.mean().item())
    assert v.item() == pytest.approx(sample.var(correction=0).item())


def test_mean_var_broadcasts() -> None:
    values, probs = torch.randn(5, dtype=F64), _probs(_gen(3), 3, 5)
    mean, var = ref.mean_var(values, probs)
    for i in range(3):
        m, v = ref.mean_var(values, probs[i])
        _close(mean[i], m)
        _close(var[i], v)


# ---- entropy, KL, cross-entropy ------------------------------------------------------------------


def test_entropy_matches_categorical_and_entr() -> None:
    p = _probs(_gen(4), 6, 9)
    _close(ref.entropy(p), torch.distributions.Categorical(probs=p).entropy())
    _close(ref.entropy(p), torch.special.entr(p).sum(-1))


def test_entropy_contract_edge_cases() -> None:
    """design.md: nats, dim removed, 0·log 0 = 0, never NaN."""
    assert ref.entropy(torch.tensor([0.5, 0.25, 0.25])).item() == pytest.approx(1.5 * math.log(2))
    assert ref.entropy(torch.tensor([0.0, 1.0, 0.0])).item() == 0.0
    assert ref.entropy(torch.ones(3, 1)).eq(0).all()
    p = torch.tensor([[0.5, 1.0], [0.5, 0.0]])
    _close(ref.entropy(p, dim=0), torch.tensor([math.log(2), 0.0]), rtol=1e-6, atol=1e-7)
    assert ref.entropy(torch.full((2, 5, 3), 0.2), dim=1).shape == (2, 3)
    assert ref.entropy(torch.tensor([0.5, 0.5], dtype=F64)).dtype == F64


def test_kl_matches_f_kl_div() -> None:
    gen = _gen(5)
    p, q = _probs(gen, 4, 7), _probs(gen, 4, 7)
    want = F.kl_div(q.log(), p, reduction="none").sum(-1)  # input = log q, target = p
    _close(ref.kl_divergence(p, q), want)
    _close(
        ref.kl_divergence(p, q),
        torch.distributions.kl_divergence(
            torch.distributions.Categorical(probs=p), torch.distributions.Categorical(probs=q)
        ),
    )


def test_kl_contract_edge_cases() -> None:
    """design.md: terms with p = 0 add 0; +inf where p > 0 and q = 0; dim removed."""
    p = torch.tensor([0.0, 0.5, 0.5])
    assert ref.kl_divergence(p, torch.tensor([0.0, 0.5, 0.5])).item() == 0.0
    assert ref.kl_divergence(p, torch.tensor([0.2, 0.4, 0.4])).item() == pytest.approx(
        math.log(0.5 / 0.4)
    )
    inf = ref.kl_divergence(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))
    assert inf.isinf() and inf > 0
    hand = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert ref.kl_divergence(torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])).item() == (
        pytest.approx(hand)
    )
    assert ref.kl_divergence(torch.full((4, 6), 1 / 6), torch.full((6,), 1 / 6)).shape == (4,)
    assert ref.kl_divergence(torch.full((6, 3), 1 / 6), torch.full((6, 3), 1 / 6), dim=0).shape == (
        3,
    )


def test_cross_entropy_matches_f_cross_entropy_on_probabilities() -> None:
    gen = _gen(6)
    logits, target = torch.randn(5, 8, generator=gen, dtype=F64), _probs(gen, 5, 8)
    want = F.cross_entropy(logits, target, reduction="none")
    _close(ref.cross_entropy(target, torch.softmax(logits, -1)), want)
    _close(ref.cross_entropy_logits(logits, target), want)


def test_cross_entropy_logits_survives_large_logits() -> None:
    gen = _gen(7)
    logits, target = torch.randn(4, 6, generator=gen), _probs(gen, 4, 6).float()
    for scale in (100.0, 1000.0):
        want = F.cross_entropy(logits * scale, target, reduction="none")
        got = ref.cross_entropy_logits(logits * scale, target)
        assert torch.isfinite(got).all()
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-4)
    z = torch.randn(3, 5, generator=gen, dtype=F64)
    _close(
        ref.cross_entropy_logits(z + 1e4, target[:3, :5] / target[:3, :5].sum(-1, True)),
        ref.cross_entropy_logits(z, target[:3, :5] / target[:3, :5].sum(-1, True)),
        rtol=1e-9,
    )


def test_cross_entropy_logits_gradient_is_softmax_minus_target() -> None:
    z = torch.randn(3, 5, generator=_gen(8), dtype=F64, requires_grad=True)
    target = _probs(_gen(9), 3, 5)
    ref.cross_entropy_logits(z, target).sum().backward()
    _close(z.grad, torch.softmax(z.detach(), -1) - target)


@PROPERTY
@given(pairs())
def test_kl_nonnegative_and_identity(pq) -> None:
    p, q = pq
    kl = ref.kl_divergence(p, q)
    assert kl.item() >= -1e-12
    assert ref.cross_entropy(p, q).item() == pytest.approx(
        (ref.entropy(p) + kl).item(), rel=1e-9, abs=1e-12
    )
    assert ref.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-12)


@PROPERTY
@given(distributions())
def test_entropy_between_zero_and_log_v(p) -> None:
    h = ref.entropy(p).item()
    assert -1e-12 <= h <= math.log(p.numel()) + 1e-12
    assert not math.isnan(h)


# ---- Markov chains ---------------------------------------------------------------------------


def _bigram_by_counting(ids: list[int], V: int, alpha: float) -> torch.Tensor:
    counts = Counter(zip(ids[:-1], ids[1:], strict=True))
    P = torch.empty(V, V, dtype=F64)
    for i in range(V):
        total = sum(counts[(i, j)] for j in range(V)) + alpha * V
        for j in range(V):
            P[i, j] = (counts[(i, j)] + alpha) / total if total > 0 else 1 / V
    return P


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_bigram_matches_pure_python_counting(alpha: float) -> None:
    ids = torch.randint(0, 6, (200,), generator=_gen(10))
    got = ref.bigram_model(ids, 8, alpha)  # ids 6 and 7 never occur: rows of 1/8 when alpha = 0
    assert got.dtype == torch.float32 and got.shape == (8, 8)
    _close(got, _bigram_by_counting(ids.tolist(), 8, alpha), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(got.sum(1), torch.ones(8))


def test_bigram_contract_edge_cases() -> None:
    """design.md: (V, V) float32, rows sum to 1, a row with no counts and α = 0 is 1/V."""
    P = ref.bigram_model(torch.tensor([0, 1, 2, 1, 2, 0]), 3)
    want = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    assert torch.equal(P, want)
    assert torch.equal(ref.bigram_model(torch.tensor([3]), 4), torch.full((4, 4), 0.25))
    assert torch.equal(ref.bigram_model(torch.tensor([0, 1, 0, 2]), 4)[3], torch.full((4,), 0.25))
    smoothed = ref.bigram_model(torch.tensor([0, 1, 2, 1, 2, 0]), 3, alpha=1.0)
    torch.testing.assert_close(smoothed[0], torch.tensor([0.25, 0.5, 0.25]))


def test_n_step_matches_matrix_power() -> None:
    P = _probs(_gen(11), 5, 5)
    p0 = _probs(_gen(12), 3, 5)
    for n in (0, 1, 4, 9):
        _close(ref.n_step(P, p0, n), p0 @ torch.linalg.matrix_power(P, n))
    _close(ref.n_step(P, p0[0], 3), (p0 @ torch.linalg.matrix_power(P, 3))[0])


def test_stationary_two_states_and_eigenvector() -> None:
    pi = ref.stationary(torch.tensor([[0.9, 0.1], [0.5, 0.5]], dtype=F64))
    _close(pi, torch.tensor([5 / 6, 1 / 6], dtype=F64))
    P = _probs(_gen(13), 6, 6)
    vals, vecs = torch.linalg.eig(P.T)
    v = vecs[:, (vals - 1).abs().argmin()].real
    _close(ref.stationary(P), v / v.sum(), rtol=1e-9, atol=1e-12)
    _close(ref.stationary(P) @ P, ref.stationary(P))
    _close(ref.n_step(P, torch.full((6,), 1 / 6, dtype=F64), 200), ref.stationary(P))


def test_perplexity_by_hand_and_as_exp_cross_entropy() -> None:
    P = torch.tensor([[0.75, 0.25], [0.5, 0.5]], dtype=F64)
    want = math.exp(-(math.log(0.25) + 2 * math.log(0.5)) / 3)
    assert ref.bigram_perplexity(P, torch.tensor([0, 1, 1, 0])).item() == pytest.approx(want)
    assert ref.bigram_perplexity(torch.full((4, 4), 0.25), torch.tensor([0, 3, 1, 2])).item() == (
        pytest.approx(4.0)
    )
    zero = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    assert ref.bigram_perplexity(zero, torch.tensor([1, 0, 0])).isinf()
    # = exp(mean next-token cross-entropy) with logits log P[current]
    ids = torch.randint(0, 5, (40,), generator=_gen(14))
    Q = _probs(_gen(15), 5, 5)
    loss = F.cross_entropy(Q.log()[ids[:-1]], ids[1:])
    assert ref.bigram_perplexity(Q, ids).item() == pytest.approx(loss.exp().item())


# ---- linear algebra ----------------------------------------------------------------------------


def test_matmul_matches_torch_matmul() -> None:
    gen = _gen(16)
    shapes = [((4, 3), (3, 5)), ((2, 1, 4, 3), (5, 3, 2)), ((3, 1), (1, 4)), ((1, 5), (5, 1))]
    for a, b in shapes:
        A = torch.randn(*a, generator=gen, dtype=F64)
        B = torch.randn(*b, generator=gen, dtype=F64)
        _close(ref.matmul(A, B), torch.matmul(A, B))
    hand = ref.matmul(
        torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]),
    )
    assert torch.equal(hand, torch.tensor([[7.0, -1.0], [16.0, -1.0]]))


def test_linear_matches_f_linear_and_nn_linear() -> None:
    gen = _gen(17)
    x = torch.randn(2, 3, 4, generator=gen, dtype=F64)
    W, b = torch.randn(5, 4, generator=gen, dtype=F64), torch.randn(5, generator=gen, dtype=F64)
    _close(ref.linear(x, W, b), F.linear(x, W, b))
    _close(ref.linear(x, W), F.linear(x, W))
    layer = torch.nn.Linear(4, 5, dtype=F64)
    assert tuple(layer.weight.shape) == (5, 4)  # (d_out, d_in): the convention the exercise states
    with torch.no_grad():
        _close(ref.linear(x, layer.weight, layer.bias), layer(x))

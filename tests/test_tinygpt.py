"""TinyGPT: shapes, causality, tied embeddings, the block's structure, generation, checkpoints."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course.tinygpt import (
    Block,
    TinyGPT,
    TinyGPTConfig,
    _pick_next,
    checkpoint_path,
    load,
    read_checkpoint,
)
from course.tokenizer import CharTokenizer

SMALL = TinyGPTConfig(vocab_size=50, block_size=16, d_model=32, n_layers=2, n_heads=4)


def small_model(seed: int = 0) -> TinyGPT:
    torch.manual_seed(seed)
    return TinyGPT(SMALL).eval()


def test_forward_shape_and_dtype():
    model = small_model()
    idx = torch.randint(0, 50, (3, 10))
    logits = model(idx)
    assert logits.shape == (3, 10, 50) and logits.dtype == torch.float32
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_attention_is_causal():
    model = small_model()
    idx = torch.randint(0, 50, (2, 12))
    changed = idx.clone()
    changed[:, 7:] = (changed[:, 7:] + 1) % 50  # change only the future of position 6
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])


def test_embeddings_are_tied_and_parameters_counted_once():
    model = small_model()
    names = [n for n, _ in model.named_parameters()]
    assert not any("lm_head" in n for n in names)
    x = torch.randn(1, 1, 32)
    torch.testing.assert_close(
        F.linear(model.ln_f(x), model.tok_emb.weight), model.ln_f(x) @ model.tok_emb.weight.T
    )
    V, T, D, L = 50, 16, 32, 2
    per_block = 4 * D * D + 2 * 4 * D * D + 2 * 2 * D  # attention, MLP, two LayerNorms
    expected = V * D + T * D + L * per_block + 2 * D
    assert sum(p.numel() for p in model.parameters()) == expected


def test_block_is_pre_norm_with_residuals():
    torch.manual_seed(1)
    block = Block(SMALL).eval()
    x = torch.randn(2, 5, 32)
    # an independent computation of the same block from its weights
    h = F.layer_norm(x, (32,), block.ln1.weight, block.ln1.bias, eps=SMALL.norm_eps)
    q, k, v = (
        h @ lin.weight.T for lin in (block.attn.q_proj, block.attn.k_proj, block.attn.v_proj)
    )
    q, k, v = (t.view(2, 5, 4, 8).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) / 8**0.5
    scores = scores.masked_fill(~torch.ones(5, 5, dtype=torch.bool).tril(), float("-inf"))
    att = (scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 5, 32)
    x1 = x + att @ block.attn.out_proj.weight.T
    h2 = F.layer_norm(x1, (32,), block.ln2.weight, block.ln2.bias, eps=SMALL.norm_eps)
    expected = x1 + F.gelu(h2 @ block.mlp.fc.weight.T) @ block.mlp.proj.weight.T
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)


def test_config_rejects_bad_head_count():
    with pytest.raises(ValueError):
        TinyGPTConfig(d_model=30, n_heads=4)


# ---- generation ----------------------------------------------------------------------------


def test_greedy_generation_matches_a_manual_argmax_loop():
    model = small_model()
    idx = torch.randint(0, 50, (2, 4))
    out = model.generate(idx, 20)  # longer than block_size: the context is cropped
    assert out.shape == (2, 24)
    assert torch.equal(out[:, :4], idx)
    manual = idx
    for _ in range(20):
        nxt = model(manual[:, -16:])[:, -1].argmax(-1, keepdim=True)
        manual = torch.cat([manual, nxt], 1)
    assert torch.equal(out, manual)


def test_generation_stops_at_eos():
    model = small_model()
    idx = torch.randint(0, 50, (3, 4))
    greedy = model.generate(idx, 6)
    eos = int(greedy[0, 4])  # the first row's first new token: call it "eos"
    out = model.generate(idx, 6, eos_id=eos)
    assert out[0, 4] == eos and (out[0, 4:] == eos).all()
    for row in range(3):  # every row: identical to greedy up to and including its first eos
        new = greedy[row, 4:].tolist()
        cut = new.index(eos) + 1 if eos in new else len(new)
        assert out[row, 4 : 4 + cut].tolist() == new[:cut]
        assert (out[row, 4 + cut :] == eos).all()


def test_seeded_sampling_is_reproducible_and_differs_across_seeds():
    model = small_model()
    idx = torch.zeros(4, 1, dtype=torch.long)

    def sample(seed):
        return model.generate(
            idx, 12, temperature=1.0, generator=torch.Generator().manual_seed(seed)
        )

    assert torch.equal(sample(7), sample(7))
    assert not torch.equal(sample(7), sample(8))


def test_top_k_one_and_tiny_top_p_are_greedy():
    model = small_model()
    idx = torch.randint(0, 50, (2, 3))
    greedy = model.generate(idx, 8)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(model.generate(idx, 8, temperature=1.5, top_k=1, generator=gen), greedy)
    assert torch.equal(model.generate(idx, 8, temperature=1.5, top_p=1e-6, generator=gen), greedy)


def _counts(logits, n=4000, **kw):
    gen = torch.Generator().manual_seed(0)
    ids = _pick_next(logits.expand(n, -1), generator=gen, **{"top_k": None, "top_p": None, **kw})
    return torch.bincount(ids, minlength=logits.shape[-1])


def test_top_p_keeps_the_token_that_crosses_the_threshold():
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    counts = _counts(logits, temperature=1.0, top_p=0.6)  # 0.5 < 0.6 <= 0.5 + 0.3
    assert counts[2] == counts[3] == 0 and counts[0] > 0 and counts[1] > 0
    assert abs(counts[0] / counts[:2].sum() - 0.5 / 0.8) < 0.03  # renormalised
    counts = _counts(logits, temperature=1.0, top_p=0.5)  # exactly reached by the first
    assert counts[1:].sum() == 0


def test_top_k_and_temperature():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    assert (_counts(logits, temperature=1.0, top_k=2)[2:] == 0).all()
    cold = _counts(logits, temperature=0.25)
    hot = _counts(logits, temperature=4.0)
    assert cold[0] > hot[0] and cold[3] < hot[3]  # temperature scales logits before softmax
    with pytest.raises(ValueError):
        _counts(logits, temperature=-1.0)


# ---- checkpoints --------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    model = small_model()
    tok = CharTokenizer.from_chars("abcdefghij")
    path = tmp_path / "m.pt"
    model.save(path, tok, "sft", meta={"steps": 3})
    raw = torch.load(path, weights_only=True)  # plain data only
    assert raw["stage"] == "sft" and raw["meta"] == {"steps": 3}
    assert all(v.dtype == torch.float16 for v in raw["state_dict"].values())
    loaded, tok2 = load(path)
    assert tok2.vocab == tok.vocab and loaded.config == model.config and not loaded.training
    idx = torch.randint(0, 50, (2, 8))
    torch.testing.assert_close(loaded(idx), model(idx), atol=2e-2, rtol=2e-2)  # float16 storage
    assert torch.equal(TinyGPT.from_checkpoint(path)(idx), loaded(idx))
    assert read_checkpoint(path)["config"]["d_model"] == 32


def test_checkpoint_names_resolve_to_the_shipped_folder(tmp_path):
    assert checkpoint_path("sft").name == "sft.pt"
    assert checkpoint_path("sft").parent.name == "checkpoints"
    assert checkpoint_path(tmp_path / "x.pt") == tmp_path / "x.pt"
    bad = tmp_path / "bad.pt"
    torch.save({"format": 99}, bad)
    with pytest.raises(ValueError, match="format"):
        load(bad)

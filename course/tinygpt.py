"""TinyGPT: the small decoder-only Transformer that the course trains from L0 to L+2.

It is GPT-2's recipe at toy size, built only from torch built-ins so that it stays short and
readable (the notebooks ask you to write these pieces yourself, without the built-ins):

    token ids (B, T)
      -> token embedding + learned position embedding          (B, T, D)
      -> n_layers pre-norm blocks:
             x = x + Attention(LayerNorm(x))   causal, n_heads heads of size D / n_heads
             x = x + MLP(LayerNorm(x))         D -> 4D -> GELU -> D
      -> final LayerNorm                                       (B, T, D)
      -> logits = x @ token_embedding.T  (tied embeddings)     (B, T, V)

B is the batch size, T the sequence length (at most `block_size`), D = `d_model`, V the
vocabulary size. Attention uses `torch.nn.functional.scaled_dot_product_attention` with
`is_causal=True`: position t sees positions 0..t only. `forward` returns logits and nothing
else; the losses (next-token loss, SFT masking, DPO) are the course's exercises.

Three trained checkpoints ship with the course, one per stage of L0-4's
"PreTrain -> SFT -> DPO" (D = 128, 4 layers, 4 heads, context 64, 833,536 parameters, stored
in float16): `load("pretrained")`, `load("sft")`, `load("dpo")` each return a
(model, tokenizer) pair:

    model, tok = load("sft")
    idx = torch.tensor([tok.encode(chat_prompt("杭州位于哪个省？"))])  # (1, T)
    out = model.generate(idx, max_new_tokens=20, eos_id=tok.eos_id)   # (1, T + n)
    tok.decode(out[0, idx.shape[1]:], skip_special=True)              # '浙江。希望对你有帮助！'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from course.tokenizer import CharTokenizer

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
STAGES = ("pretrained", "sft", "dpo")
CHECKPOINT_FORMAT = 1


@dataclass
class TinyGPTConfig:
    # The defaults are the shipped checkpoints' sizes: 833,536 parameters.
    vocab_size: int = 286  # the mini-world's 280 characters + 6 special tokens
    block_size: int = 64  # the longest sequence (context length) the model accepts
    d_model: int = 128  # D, the width of every token's vector
    n_layers: int = 4
    n_heads: int = 4  # head size D / n_heads = 32
    mlp_ratio: int = 4  # the MLP's hidden width is mlp_ratio * D
    norm_eps: float = 1e-5  # LayerNorm's eps, added to the variance inside the square root

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError("d_model must be divisible by n_heads")


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: (B, T, D) -> (B, T, D)."""

    def __init__(self, config: TinyGPTConfig):
        super().__init__()
        d = config.d_model
        self.n_heads = config.n_heads
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)  # mixes the heads' outputs back together

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        H = self.n_heads
        # (B, T, D) -> (B, T, H, D/H) -> (B, H, T, D/H): each head attends on its own slice.
        q = self.q_proj(x).view(B, T, H, D // H).transpose(1, 2)
        k = self.k_proj(x).view(B, T, H, D // H).transpose(1, 2)
        v = self.v_proj(x).view(B, T, H, D // H).transpose(1, 2)
        # softmax(q kᵀ / √(D/H) + causal mask) v, per head: (B, H, T, D/H)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        # Put the heads side by side again: (B, H, T, D/H) -> (B, T, H, D/H) -> (B, T, D).
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.out_proj(y)


class MLP(nn.Module):
    """Position-wise feed-forward network: (B, T, D) -> (B, T, mlp_ratio*D) -> (B, T, D)."""

    def __init__(self, config: TinyGPTConfig):
        super().__init__()
        hidden = config.mlp_ratio * config.d_model
        self.fc = nn.Linear(config.d_model, hidden, bias=False)
        self.proj = nn.Linear(hidden, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x)))


class Block(nn.Module):
    """One pre-norm Transformer block: normalise first, then add the result to the residual."""

    def __init__(self, config: TinyGPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.d_model, eps=config.norm_eps)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.d_model, eps=config.norm_eps)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, D) -> (B, T, D)
        x = x + self.attn(self.ln1(x))  # tokens exchange information
        x = x + self.mlp(self.ln2(x))  # each token is transformed on its own
        return x


class TinyGPT(nn.Module):
    """A decoder-only Transformer language model: token ids (B, T) -> logits (B, T, V)."""

    def __init__(self, config: TinyGPTConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)  # (V, D)
        self.pos_emb = nn.Embedding(config.block_size, config.d_model)  # (block_size, D)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model, eps=config.norm_eps)
        self._init_weights()

    def _init_weights(self) -> None:
        """GPT-2's initialisation: N(0, 0.02), and the projections that write into the
        residual stream scaled by 1/√(2·n_layers) so the stream does not grow with depth."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith(("out_proj.weight", "mlp.proj.weight")):
                    std = 0.02 / (2 * self.config.n_layers) ** 0.5
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token ids with T <= block_size -> logits (B, T, V).

        logits[:, t] scores the token that comes *after* idx[:, t].
        """
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.config.block_size}")
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.tok_emb(idx) + self.pos_emb(pos)  # (B, T, D) + (T, D) broadcasts to (B, T, D)
        for block in self.blocks:
            x = block(x)  # (B, T, D)
        x = self.ln_f(x)
        # Tied embeddings: the output layer reuses the (V, D) token-embedding matrix, so a
        # token's logit is the dot product of the final vector with that token's embedding.
        return F.linear(x, self.tok_emb.weight)  # (B, T, V)

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: torch.Generator | None = None,
        eos_id: int | None = None,
    ) -> torch.Tensor:
        """Continue each row of idx (B, T) by up to max_new_tokens tokens -> (B, T + n).

        temperature 0 (the default) is greedy decoding: always the most likely token.
        temperature > 0 samples from softmax(logits / temperature), optionally restricted to
        the top_k most likely tokens and then to the top_p nucleus (the smallest set of most
        likely tokens whose probabilities add up to at least top_p). Pass a seeded
        `torch.Generator` to make sampling reproducible. With eos_id, a row that has produced
        eos_id keeps producing it, and generation stops once every row has.
        All rows share one length, so batch prompts of equal length (no padding needed).
        """
        was_training = self.training
        self.eval()
        done = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
        for _ in range(max_new_tokens):
            context = idx[:, -self.config.block_size :]  # crop to the context window
            logits = self(context)[:, -1, :]  # (B, V): the scores for the next token
            next_id = _pick_next(logits, temperature, top_k, top_p, generator)  # (B,)
            if eos_id is not None:
                next_id = torch.where(done, torch.full_like(next_id, eos_id), next_id)
                done |= next_id == eos_id
            idx = torch.cat([idx, next_id[:, None]], dim=1)
            if eos_id is not None and bool(done.all()):
                break
        self.train(was_training)
        return idx

    # ---- checkpoints -------------------------------------------------------------------

    def save(
        self,
        path: str | Path,
        tokenizer: CharTokenizer,
        stage: str,
        meta: dict | None = None,
        dtype: torch.dtype = torch.float16,
    ) -> None:
        """Save weights (as `dtype`), config, tokenizer vocabulary and plain metadata.

        The file holds only plain tensors, numbers, strings, lists and dicts, so it loads
        with `torch.load(path, weights_only=True)`.
        """
        state = {k: v.detach().to(dtype).clone() for k, v in self.state_dict().items()}
        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "stage": stage,
                "config": asdict(self.config),
                "vocab": list(tokenizer.vocab),
                "state_dict": state,
                "meta": dict(meta or {}),
            },
            path,
        )

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> TinyGPT:
        """A model in eval mode and float32 from a file written by `save`, or a stage name
        ("pretrained", "sft", "dpo") for the checkpoints that ship with the course."""
        model, _ = load(path)
        return model


def checkpoint_path(name_or_path: str | Path) -> Path:
    """'sft' -> the shipped course/checkpoints/sft.pt; any other value is taken as a path."""
    if isinstance(name_or_path, str) and name_or_path in STAGES:
        return CHECKPOINT_DIR / f"{name_or_path}.pt"
    return Path(name_or_path)


def read_checkpoint(name_or_path: str | Path) -> dict:
    """The raw checkpoint dict (safe loading: plain data only)."""
    ckpt = torch.load(checkpoint_path(name_or_path), map_location="cpu", weights_only=True)
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"unknown checkpoint format {ckpt.get('format')!r}")
    return ckpt


def load(name_or_path: str | Path) -> tuple[TinyGPT, CharTokenizer]:
    """(model, tokenizer) from a stage name ("pretrained", "sft", "dpo") or a path."""
    ckpt = read_checkpoint(name_or_path)
    model = TinyGPT(TinyGPTConfig(**ckpt["config"]))
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    return model.eval(), CharTokenizer(ckpt["vocab"])


def _pick_next(
    logits: torch.Tensor,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """logits (B, V) -> next token ids (B,): greedy, or sampled with temperature/top-k/top-p."""
    if temperature == 0.0:
        return logits.argmax(dim=-1)
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    logits = logits / temperature  # scale the logits, before softmax
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)  # (B, V)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # probability mass of the better tokens
        drop_sorted = before >= top_p  # already enough mass without this token: drop it
        drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
        logits = logits.masked_fill(drop, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

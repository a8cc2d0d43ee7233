"""A character-level tokenizer for the mini-world: one token per character.

Every Chinese character, digit and punctuation mark of the mini-world (`course.miniworld`)
is one token, plus six special tokens, written in text as:

    <pad>  id 0   padding, never predicted (its label is always -100)
    <bos>  id 1   beginning of a sequence
    <eos>  id 2   end of a document or of an answer; generation stops here
    <unk>  id 3   any character that is not in the vocabulary
    <问>   id 4   the user's turn starts (问 = question)
    <答>   id 5   the assistant's turn starts (答 = answer)

The chat format of the SFT and DPO stages is one question, one answer:

    <bos><问>杭州位于哪个省？<答>浙江。<eos>
    └──────── prompt ────────┘└─ response ─┘

The prompt ends with `<答>`, so a model that has learnt the format continues with the answer
and then `<eos>`. `chat_prompt` and `chat_text` build these strings.

The characters `<` and `>` are not part of the alphabet, so special tokens are never ambiguous:
`decode(encode(text)) == text` for every text made of vocabulary characters and special tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

PAD, BOS, EOS, UNK, QUESTION, ANSWER = "<pad>", "<bos>", "<eos>", "<unk>", "<问>", "<答>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, BOS, EOS, UNK, QUESTION, ANSWER)

# Matches one special token, so that `encode` can split a text around them.
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


def chat_prompt(question: str) -> str:
    """'杭州位于哪个省？' -> '<bos><问>杭州位于哪个省？<答>' (what the model continues)."""
    return f"{BOS}{QUESTION}{question}{ANSWER}"


def chat_text(question: str, answer: str) -> str:
    """A whole exchange: prompt + answer + '<eos>'."""
    return f"{chat_prompt(question)}{answer}{EOS}"


class CharTokenizer:
    """Maps text to token ids and back, one id per character.

    vocab: the token strings in id order; the first six must be `SPECIAL_TOKENS`.
    Checkpoints store this list, so a model always comes with the tokenizer it was trained with.
    """

    def __init__(self, vocab: Sequence[str]):
        vocab = list(vocab)
        if tuple(vocab[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"the vocabulary must start with {SPECIAL_TOKENS}")
        chars = vocab[len(SPECIAL_TOKENS) :]
        bad = [c for c in chars if len(c) != 1 or c in "<>"]
        if bad:
            raise ValueError(f"non-special tokens must be single characters other than <>: {bad}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("duplicate tokens in the vocabulary")
        self.vocab: list[str] = vocab
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(vocab)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id, self.question_id, self.answer_id = (
            range(len(SPECIAL_TOKENS))
        )

    @classmethod
    def from_chars(cls, chars: Iterable[str]) -> CharTokenizer:
        """Special tokens first, then the given characters sorted by code point."""
        return cls(list(SPECIAL_TOKENS) + sorted(set(chars)))

    @classmethod
    def default(cls) -> CharTokenizer:
        """The tokenizer of the mini-world: its whole alphabet (`course.miniworld.alphabet`)."""
        from course.miniworld import alphabet

        return cls.from_chars(alphabet())

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, strict: bool = False) -> list[int]:
        """Text -> ids. Unknown characters become <unk>, or raise ValueError if `strict`."""
        ids: list[int] = []
        for piece in _SPECIAL_RE.split(text):
            if piece in self.stoi and piece in SPECIAL_TOKENS:
                ids.append(self.stoi[piece])
                continue
            for ch in piece:
                i = self.stoi.get(ch)
                if i is None:
                    if strict:
                        raise ValueError(f"character {ch!r} is not in the vocabulary")
                    i = self.unk_id
                ids.append(i)
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        """Ids -> text. With `skip_special`, special tokens (incl. <unk>) are left out."""
        out = []
        for i in ids:
            tok = self.vocab[int(i)]
            if skip_special and int(i) < len(SPECIAL_TOKENS):
                continue
            out.append(tok)
        return "".join(out)

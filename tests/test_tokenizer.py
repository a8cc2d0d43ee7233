"""The character-level tokenizer: special tokens, round trips, the chat format."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.miniworld import alphabet
from course.tokenizer import (
    ANSWER,
    BOS,
    EOS,
    PAD,
    QUESTION,
    SPECIAL_TOKENS,
    UNK,
    CharTokenizer,
    chat_prompt,
    chat_text,
)

TOK = CharTokenizer.default()


def test_special_tokens_have_fixed_ids():
    assert TOK.vocab[:6] == [PAD, BOS, EOS, UNK, QUESTION, ANSWER]
    assert (TOK.pad_id, TOK.bos_id, TOK.eos_id, TOK.unk_id, TOK.question_id, TOK.answer_id) == (
        0,
        1,
        2,
        3,
        4,
        5,
    )


def test_vocabulary_is_the_alphabet_plus_specials():
    chars = alphabet()
    assert TOK.vocab[6:] == chars == sorted(chars)
    assert len(TOK) == TOK.vocab_size == len(chars) + len(SPECIAL_TOKENS)
    assert 200 < len(TOK) < 400  # "a few hundred characters"
    assert "<" not in chars and ">" not in chars


def test_one_id_per_character_and_per_special_token():
    text = chat_text("杭州位于哪个省？", "浙江。")
    assert text == "<bos><问>杭州位于哪个省？<答>浙江。<eos>"
    ids = TOK.encode(text)
    assert len(ids) == 4 + len("杭州位于哪个省？浙江。")
    assert ids[:2] == [TOK.bos_id, TOK.question_id]
    assert ids[-1] == TOK.eos_id
    assert ids[2 + len("杭州位于哪个省？")] == TOK.answer_id
    assert TOK.decode(ids) == text


def test_chat_prompt_ends_with_the_answer_marker():
    assert chat_prompt("狗爱吃什么？") == "<bos><问>狗爱吃什么？<答>"
    assert TOK.encode(chat_prompt("狗爱吃什么？"))[-1] == TOK.answer_id
    assert chat_text("狗爱吃什么？", "骨头。").startswith(chat_prompt("狗爱吃什么？"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(alphabet() + list(SPECIAL_TOKENS)), max_size=80))
def test_round_trip(pieces):
    text = "".join(pieces)
    ids = TOK.encode(text, strict=True)
    assert len(ids) == len(pieces)  # one token per character or special token
    assert TOK.decode(ids) == text
    assert TOK.encode(TOK.decode(ids)) == ids


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=TOK.vocab_size - 1), max_size=60))
def test_ids_round_trip(ids):
    assert TOK.encode(TOK.decode(ids)) == ids


def test_unknown_characters():
    assert TOK.encode("北京x")[-1] == TOK.unk_id
    with pytest.raises(ValueError, match="not in the vocabulary"):
        TOK.encode("x", strict=True)
    # '<' alone is not a special token, so it is an unknown character
    assert TOK.encode("<问") == [TOK.unk_id, TOK.stoi["问"]]


def test_decode_can_skip_special_tokens():
    ids = TOK.encode(chat_text("狗爱吃什么？", "骨头。"))
    assert TOK.decode(ids, skip_special=True) == "狗爱吃什么？骨头。"


def test_bad_vocabularies_are_rejected():
    with pytest.raises(ValueError, match="must start with"):
        CharTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(list(SPECIAL_TOKENS) + ["ab"])
    with pytest.raises(ValueError, match="duplicate"):
        CharTokenizer(list(SPECIAL_TOKENS) + ["a", "a"])
    tok = CharTokenizer.from_chars("ba")
    assert tok.vocab[6:] == ["a", "b"]

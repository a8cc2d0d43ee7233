"""The shipped stage checkpoints: small, plain, loadable without `autograder`, and each stage
measurably better than the one before at what it was trained for.

The figures are greedy and deterministic; the thresholds sit well inside the measured values
(README table) and well outside the previous stage's, so a wrong or swapped file fails.
"""

from __future__ import annotations

import argparse
import site
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from autograder.spine import build
from autograder.spine.evaluate import evaluate, fact_probe, random_init
from course.tinygpt import CHECKPOINT_DIR, STAGES, TinyGPTConfig, load
from course.tokenizer import CharTokenizer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figures() -> dict[str, dict]:
    torch.set_num_threads(1)
    out = {}
    for stage in STAGES:
        model, tok = load(stage)
        out[stage] = evaluate(model, tok)
    model, tok = load("pretrained")
    out["random"] = fact_probe(random_init(tok, model), tok)
    return out


# ---- the files -----------------------------------------------------------------------------


def test_three_small_plain_checkpoints():
    sizes = {}
    for stage in STAGES:
        path = CHECKPOINT_DIR / f"{stage}.pt"
        sizes[stage] = path.stat().st_size
        raw = torch.load(path, map_location="cpu", weights_only=True)  # plain data only
        assert raw["stage"] == stage and not raw["meta"]["quick"]
        assert all(v.dtype == torch.float16 for v in raw["state_dict"].values())
        # the shipped tokenizer is the mini-world's current one (the world has not drifted)
        assert raw["vocab"] == CharTokenizer.default().vocab
        assert raw["config"] == asdict(TinyGPTConfig())  # the defaults describe the shipped model
    assert all(s < 2_000_000 for s in sizes.values())
    assert sum(sizes.values()) < 5_500_000


# ---- capabilities, each stage against the previous one ---------------------------------------


def test_pretrained_prefers_true_facts_on_held_out_templates(figures):
    pre, rnd = figures["pretrained"], figures["random"]
    assert pre["probe_pairwise"] >= 0.85 and pre["probe_top1"] >= 0.60
    assert rnd["pairwise"] <= 0.65 and rnd["top1"] <= 0.25  # untrained: about chance


def test_pretrained_does_not_follow_the_chat_format(figures):
    pre = figures["pretrained"]
    for split in ("train", "heldout"):
        assert pre[f"chat_{split}_format"] <= 0.10
        assert pre[f"chat_{split}_accuracy"] <= 0.05
    assert pre["arith_format"] <= 0.05


def test_sft_answers_questions_including_facts_it_was_never_asked(figures):
    sft = figures["sft"]
    assert sft["chat_train_format"] >= 0.95 and sft["chat_train_accuracy"] >= 0.90
    assert sft["chat_heldout_format"] >= 0.80 and sft["chat_heldout_accuracy"] >= 0.65
    assert sft["probe_pairwise"] >= 0.80  # fine-tuning kept the pretrained knowledge
    assert sft["arith_format"] >= 0.90


def test_dpo_prefers_concise_answers_where_sft_rambles(figures):
    sft, dpo = figures["sft"], figures["dpo"]
    for split in ("train", "heldout"):
        assert sft[f"chat_{split}_concise"] <= 0.40
        assert dpo[f"chat_{split}_concise"] >= 0.80
        assert dpo[f"chat_{split}_concise"] >= sft[f"chat_{split}_concise"] + 0.45
    # ... without forgetting the facts
    assert dpo["chat_train_accuracy"] >= 0.90 and dpo["chat_heldout_accuracy"] >= 0.65
    assert dpo["chat_heldout_accuracy"] >= sft["chat_heldout_accuracy"] - 0.15


def test_arithmetic_baseline_for_the_reasoning_notebook(figures):
    assert figures["pretrained"]["arith_accuracy"] == 0.0  # no chat format, no answer
    for stage in ("sft", "dpo"):
        f = figures[stage]
        assert f["arith_format"] >= 0.90
        # a baseline with room above it, for outcome and for process: neither hopeless nor solved
        assert 0.20 <= f["arith_accuracy"] <= 0.70
        assert 0.15 <= f["arith_all_steps"] <= 0.70


# ---- the student edition ---------------------------------------------------------------------

STUDENT_SCRIPT = textwrap.dedent("""
    import importlib.util, sys
    sys.path[:0] = [SITE]
    sys.path += SITE_PACKAGES  # third-party packages, but no .pth files: no editable installs
    assert importlib.util.find_spec("autograder") is None, "autograder must not be importable"
    import torch
    import course.tinygpt as tg
    from course.tokenizer import chat_prompt
    assert tg.__file__.startswith(SITE), tg.__file__
    torch.set_num_threads(1)
    for stage in tg.STAGES:
        model, tok = tg.load(stage)
        idx = torch.tensor([tok.encode(chat_prompt("杭州位于哪个省？"))])
        out = model.generate(idx, 24, eos_id=tok.eos_id)[0, idx.shape[1]:].tolist()
        print(stage, tok.decode(out[:out.index(tok.eos_id)] if tok.eos_id in out else out))
""")


def test_checkpoints_load_from_an_installed_student_edition(tmp_path):
    from autograder.release import build_student_edition

    edition = build_student_edition(ROOT, tmp_path / "edition")
    site_dir = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(site_dir),
            str(edition),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert sorted(p.name for p in (site_dir / "course" / "checkpoints").iterdir()) == [
        "dpo.pt",
        "pretrained.pt",
        "sft.pt",
    ]
    assert not (site_dir / "autograder").exists()
    for py in (site_dir / "course").rglob("*.py"):  # no builder code in what students get
        text = py.read_text(encoding="utf-8")
        for name in ("next_token_loss", "sequence_logprob", "dpo_loss"):
            assert f"def {name}" not in text, (py, name)
        assert "from autograder" not in text and "import autograder" not in text, py
    script = (
        f"SITE = {str(site_dir)!r}\nSITE_PACKAGES = {site.getsitepackages()!r}\n" + STUDENT_SCRIPT
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert set(answers) == set(STAGES)
    assert answers["sft"] == "浙江。希望对你有帮助！" and answers["dpo"] == "浙江。"


# ---- rebuilding ------------------------------------------------------------------------------


def test_quick_rebuild_smoke_and_determinism(tmp_path):
    for out in (tmp_path / "a", tmp_path / "b"):
        assert build.main(["--quick", "--out", str(out)]) == 0
    for stage in STAGES:
        a = torch.load(tmp_path / "a" / f"{stage}.pt", weights_only=True)
        b = torch.load(tmp_path / "b" / f"{stage}.pt", weights_only=True)
        assert a["meta"]["quick"] and a["stage"] == stage
        assert a["state_dict"].keys() == b["state_dict"].keys()
        assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
        model, tok = load(tmp_path / "a" / f"{stage}.pt")
        assert model(torch.tensor([[tok.bos_id]])).shape == (1, 1, len(tok))


def test_a_stage_needs_the_previous_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrained"):
        build.main(["--quick", "--stage", "sft", "--out", str(tmp_path)])


def test_builder_defaults_and_cheap_import():
    assert build.DEFAULT_OUT == CHECKPOINT_DIR
    parser = build.add_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--stage", "sft"])
    assert args.stage == "sft" and args.out == CHECKPOINT_DIR and not args.quick
    code = "import sys, autograder.spine.build; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)

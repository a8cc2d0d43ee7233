"""Build the spine's stage checkpoints: pretrained -> SFT -> DPO.

    autograder build-checkpoints --stage all          # = python -m autograder.spine.build
    python -m autograder.spine.build --stage sft      # one stage, from the previous one in --out
    python -m autograder.spine.build --quick --out /tmp/ckpt   # few-step smoke build

Each stage starts from the previous stage's checkpoint in --out, so stages can be rebuilt one
at a time. Seeds are fixed and torch runs on one thread, so a rebuild on the same machine and
torch version reproduces the shipped files (byte for byte, as measured).

Importing this module is cheap (torch is imported when a build runs), so a CLI can reuse
`add_arguments` and `run`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ORDER = ("pretrained", "sft", "dpo")
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "course" / "checkpoints"


def build_stage(stage: str, out: Path, quick: bool = False, log=print) -> dict:
    """Train one stage (from the previous stage's file in `out`) and save `out/<stage>.pt`."""
    import torch

    from autograder.spine import train
    from course.tinygpt import load
    from course.tokenizer import CharTokenizer

    torch.set_num_threads(1)
    cfg = train.STAGES[stage].quick() if quick else train.STAGES[stage]
    start = time.perf_counter()
    if stage == "pretrained":
        tok = CharTokenizer.default()
        model, losses = train.pretrain(tok, cfg, log=log)
    else:
        previous = out / f"{ORDER[ORDER.index(stage) - 1]}.pt"
        if not previous.exists():
            raise FileNotFoundError(f"{stage} starts from {previous}; build that stage first")
        start_model, tok = load(previous)
        step = train.finetune_sft if stage == "sft" else train.train_dpo
        model, losses = step(start_model, tok, cfg, log=log)
    seconds = time.perf_counter() - start
    meta = {
        "steps": cfg.steps,
        "seed": cfg.seed,
        "final_loss": round(losses[-1], 4),
        "quick": quick,
        "torch": torch.__version__.split("+")[0],
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stage}.pt"
    model.save(path, tok, stage, meta=meta)
    log(f"[{stage}] saved {path} ({path.stat().st_size / 1e6:.2f} MB) in {seconds:.1f}s")
    return {
        "stage": stage,
        "seconds": round(seconds, 1),
        "path": str(path),
        "bytes": path.stat().st_size,
        "final_loss": meta["final_loss"],
    }


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The builder's options, for this module's own parser or a CLI subcommand."""
    parser.add_argument(
        "--stage",
        choices=(*ORDER, "all"),
        default="all",
        help="which stage to build (default: all, in order)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few steps per stage: a smoke test, not a usable model",
    )
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="also write per-stage build times as JSON to this file",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    stages = ORDER if args.stage == "all" else (args.stage,)
    records = [build_stage(s, Path(args.out), quick=args.quick) for s in stages]
    total = sum(r["seconds"] for r in records)
    print(
        "build times: "
        + ", ".join(f"{r['stage']} {r['seconds']:.0f}s" for r in records)
        + f"; total {total:.0f}s"
    )
    if args.log:
        Path(args.log).write_text(json.dumps({"threads": 1, "stages": records}, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autograder build-checkpoints", description=__doc__.split("\n\n")[0]
    )
    return run(add_arguments(parser).parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

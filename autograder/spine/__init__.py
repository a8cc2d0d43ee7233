"""Instructor-only builders of the tiny-model spine's checkpoints (pretrained, SFT, DPO).

They implement the very losses the students write (next-token loss, SFT masking, sequence
log-probability, DPO loss), so they live here and never ship in `course/`.

    losses    next_token_loss, sequence_logprob, dpo_loss (the design's contract signatures)
    data      packed pretraining windows, masked SFT examples, DPO batches
    train     the three training loops
    build     `python -m autograder.spine.build --stage all` (= `autograder build-checkpoints`)
    evaluate  capability measurements of any checkpoint (`python -m autograder.spine.evaluate`)
"""

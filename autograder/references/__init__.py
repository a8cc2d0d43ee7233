"""Reference implementations of graded exercises, one module per level, each unit-tested
against an independent source (a torch built-in, a hand-computed case, a published number)."""

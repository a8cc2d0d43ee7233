"""Instructor-only package: references, checks, release, grading engine and the CLI.

Never shipped to students. `course` (the student package) must not import it; the grading
kernel cannot import it in judged mode.
"""

__version__ = "0.1.0"

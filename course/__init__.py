"""Student-facing helpers for the LLM-training course (LLM 训练知识体系).

What lives here ships to students: the level table, visible-test helpers, the call-and-record
helper used while grading, plotting/widget helpers, and the `course` command. Nothing here
holds a model answer of a graded exercise, and nothing here imports the instructor package.
"""

__version__ = "0.1.0"

"""nbgrader settings for this course root (the repository itself).

`autograder release` and `autograder grade` pass the same settings programmatically, so
stock nbgrader commands run from this folder see the same course.
"""

c = get_config()  # noqa: F821  (nbgrader injects get_config)

# Course layout: instructor notebooks in source/, generated student notebooks in release/.
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# The course's id (autograder.release.COURSE_ID). It must not be empty: nbgrader's default ""
# is never created in the gradebook's course table, which PostgreSQL refuses.
c.CourseDirectory.course_id = "llm-training-course"

# Gradebook: SQLite file in the course root by default (never committed).
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Stock `nbgrader autograde` kills a cell after this many seconds; `autograder grade` uses
# it as its --timeout default.
c.ExecutePreprocessor.timeout = 60

# Files larger than this (KB) are ignored by nbgrader when copying and refused unread by
# `autograder grade` (its --max-upload-mb default). nbgrader's default: 100 MB.
c.CourseDirectory.max_file_size = 100000

# The zone nbgrader's exchange writes timestamp.txt in, and the course time zone of
# `autograder grade` / `intake` (--timezone): naive times and ambiguous abbreviations such as
# CST are read in it. An IANA name, e.g. "Asia/Shanghai"; nbgrader's default is UTC.
c.Exchange.timezone = "UTC"

# Students see this in place of a removed model answer.
c.ClearSolutions.code_stub = {
    "python": "# 在这里写你的代码 (YOUR CODE HERE)\nraise NotImplementedError()"
}

# Stock autograde restores hidden tests without a false "checksum has changed" warning per
# grade cell (nbgrader#1961); a really edited locked cell still warns. See
# autograder/overwritecells.py.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.overwritecells.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

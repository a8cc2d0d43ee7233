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

# Stock `nbgrader autograde` kills a cell after this many seconds.
c.ExecutePreprocessor.timeout = 60

# Students see this in place of a removed model answer.
c.ClearSolutions.code_stub = {
    "python": "# 在这里写你的代码 (YOUR CODE HERE)\nraise NotImplementedError()"
}

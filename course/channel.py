"""Where grading evidence travels between a kernel and the grader: names only, no torch.

The grading side needs these two names without importing course.evidence, which imports
torch (about 1.5 s), so that the instructor's command line starts quickly.
"""

EVIDENCE_DIR_ENV = "COURSE_EVIDENCE_DIR"  # the folder holding each check's <id>.inputs.pt
EVIDENCE_MIME = "application/x.course-evidence+base64"  # IOPub display data: torch.save bytes

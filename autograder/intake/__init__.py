"""Intake: how submissions reach `submitted/<student>/<assignment>/`, the layout grading reads.

Two ways in, both ending in nbgrader's submitted layout with a `timestamp.txt` per submission:

    exchange.py   nbgrader's own exchange with a local exchange folder: release_assignment,
                  fetch_assignment, submit, collect, and back again release_feedback /
                  fetch_feedback carrying our feedback HTML
    lms.py        an LMS download (Canvas or Moodle "download all submissions" zip): map each
                  file to a student, report unmatched, duplicate, late and refused files

Intake only ever reads what students sent (the exchange's inbound folder, the LMS zip); it
never modifies an original. The zip's entries are untrusted: safezip.py refuses path
traversal, absolute paths, symlinks, encrypted entries and zip bombs.
"""

from autograder.intake.lms import IntakeReport, intake_zip
from autograder.intake.safezip import IntakeError, ZipLimits

__all__ = ["IntakeError", "IntakeReport", "ZipLimits", "intake_zip"]

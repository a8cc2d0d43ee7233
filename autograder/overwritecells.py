"""nbgrader's OverwriteCells without the false "checksum has changed" warning on hidden tests.

Stock `nbgrader autograde` (and formgrader's Autograde button) compares each locked cell of a
submission with the gradebook's copy. The gradebook keeps grade cells *with* their hidden tests
(generate_assignment saves cells before ClearHiddenTests), the student's copy never had them,
so every grade cell with hidden tests logs "Attribute 'checksum' for cell … has changed!" even
for an untouched submission (jupyter/nbgrader#1961, open as of nbgrader 0.9.6). This subclass
restores such a cell silently when the student's copy is exactly the released one (the source
with its hidden tests cleared); a cell the student really edited still gets the warning and is
restored as before.

Enable it in nbgrader_config.py (the course root's and the one `autograder grade` writes):

    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "autograder.overwritecells.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import OverwriteCells as StockOverwriteCells

SANITIZE_PREPROCESSORS = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.overwritecells.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]


class OverwriteCells(StockOverwriteCells):
    """OverwriteCells that knows a released grade cell lacks its hidden tests."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_grade(cell) and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id
                )
            except MissingEntry:
                source_cell = None
            if source_cell is not None and cell.source == self._released(source_cell.source):
                cell.source = source_cell.source  # what the stock step restores, minus the alarm
        return super().preprocess_cell(cell, resources, cell_index)

    def _released(self, source: str) -> str | None:
        """The source as generate_assignment released it; None if it had no hidden tests."""
        probe = NotebookNode(cell_type="code", source=source, metadata={})
        try:
            removed = ClearHiddenTests(parent=self)._remove_hidden_test_region(probe)
        except RuntimeError:  # unbalanced markers: let the stock step decide
            return None
        return probe.source if removed else None

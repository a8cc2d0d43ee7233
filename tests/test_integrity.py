"""The integrity scan sees through IPython syntax (issue 8.4)."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.integrity import is_tampered, scan_cells, scan_code, unparsable_that_ran

HIDDEN_BEHIND_MAGIC = [
    # (cell, a phrase the scan must report)
    ("import ctypes", "uses ctypes"),  # the baseline the issue compares against
    ("%%time\nimport ctypes", "uses ctypes"),  # issue 8.4
    ("%%timeit -n1\nimport ctypes", "uses ctypes"),
    ("%%capture out\nimport ctypes", "uses ctypes"),
    ("%time import ctypes", "uses ctypes"),
    ("%%time\n%time torch.allclose = lambda *a, **k: True", "monkeypatches torch.allclose"),
    ("x = 1\n%time import gc", "uses gc"),
    ("%%prun\nimport inspect", "uses inspect"),
    ("!rm -rf /tmp/x", "runs shell commands"),
    ("files = !ls", "runs shell commands"),
    ("%%bash\necho hi", "runs shell commands (%%bash)"),
    ("%%script bash\necho hi", "runs shell commands (%%script)"),
    ("%system ls", "runs shell commands (%system)"),
    ("%run ../helper.py", "runs another file (%run)"),
    ("%load_ext my_magic", "loads an IPython extension"),
    ("%%writefile helper.py\nimport ctypes", "writes a file (%%writefile)"),
    ("%%writefile helper.py\nimport ctypes", "uses ctypes"),
    ("%%python3\nimport os", "runs Python in another process"),
    ("%%sorcery\nimport ctypes", "unknown cell magic %%sorcery"),
    ("get_ipython().input_transformers_cleanup.append(f)", "changes how IPython runs cells"),
    ("def f(:\n    pass", "cannot be parsed (SyntaxError, line 1)"),
]


@pytest.mark.parametrize("code,phrase", HIDDEN_BEHIND_MAGIC)
def test_code_behind_ipython_syntax_is_scanned(code, phrase):
    assert any(phrase in item for item in scan_code(code)), scan_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "%pip install tqdm",
        "!pip install tqdm",
        "%matplotlib inline",
        "%%time\nresult = cosine_similarity(a, b)",
        "%timeit dot(a, b)",
        "x?",
        "%%html\n<b>看这里</b>",
        "import torch\nprint(torch.__version__)",
    ],
)
def test_honest_ipython_is_clean(code):
    assert scan_code(code) == []


def test_unparsable_cell_is_a_finding_but_an_honest_syntax_error_is_not_tampering():
    findings = scan_cells([("dot", "def dot(a, b):\n    return (a * b).sum(-1")])
    assert findings and findings[0].startswith("unparsable cell in dot: cannot be parsed")
    assert not is_tampered(findings)


def test_unparsable_cell_that_ran_in_the_kernel_is_suspicious():
    code = "QRS ZNTVP"  # looks like garbage to us; a planted input transformer would decode it
    ran = new_code_cell(code, execution_count=3)
    failed = new_code_cell("def f(:", execution_count=4)
    failed.outputs = [new_output("error", ename="SyntaxError", evalue="invalid syntax")]
    executed = new_notebook(cells=[ran, failed])
    found = unparsable_that_ran([("cell a", code), ("cell b", "def f(:")], executed)
    assert found == ["suspicious code in cell a: cannot be parsed here, yet ran in the kernel"]
    assert is_tampered(found)

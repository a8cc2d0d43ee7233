"""Unit tests for course.widgets.explore: a static picture first, a widget only when allowed."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course import widgets  # noqa: E402
from course.widgets import GRADING_ENV, explore, interactive_enabled  # noqa: E402


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(GRADING_ENV, raising=False)
    yield
    plt.close("all")


class Recorder:
    """A draw function that records every call and really draws."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, ax, d=4, scaled=True, n=3):
        self.calls.append({"d": d, "scaled": scaled, "n": n})
        ax.plot(range(d))
        ax.set_title(f"d={d} scaled={scaled}")


def test_static_picture_has_one_panel_per_setting():
    draw = Recorder()
    result = explore(
        draw, static=[{"d": 4}, {"d": 16, "scaled": False}, {"d": 64}], title="Softmax"
    )
    axes = result.figure.get_axes()
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == [
        "d=4 scaled=True",
        "d=16 scaled=False",
        "d=64 scaled=True",
    ]
    assert result.figure._suptitle.get_text() == "Softmax"
    assert draw.calls[:3] == [
        {"d": 4, "scaled": True, "n": 3},
        {"d": 16, "scaled": False, "n": 3},
        {"d": 64, "scaled": True, "n": 3},
    ]


def test_static_only_when_no_sliders():
    draw = Recorder()
    result = explore(draw, static=[{"d": 8}])
    assert result.widget is None
    assert len(draw.calls) == 1


def test_widget_starts_at_first_static_setting_and_redraws():
    pytest.importorskip("ipywidgets")
    draw = Recorder()
    result = explore(draw, static=[{"d": 10, "n": 7}, {"d": 20, "n": 7}], d=(2, 32, 2), scaled=True)
    assert result.widget is not None
    slider = result.widget.children[0]
    assert slider.value == 10  # the first static setting, not the slider's midpoint
    assert slider.continuous_update is False
    assert draw.calls[2] == {"d": 10, "scaled": True, "n": 7}  # initial interactive draw
    slider.value = 6
    assert draw.calls[-1] == {"d": 6, "scaled": True, "n": 7}  # fixed setting passed through
    assert len(plt.get_fignums()) == 1  # interactive redraws close their figures


def test_no_widget_in_a_grading_run(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv(GRADING_ENV, "autograde")
    draw = Recorder()
    result = explore(draw, static=[{"d": 4}, {"d": 8}], d=(2, 32, 2))
    assert result.widget is None
    assert len(draw.calls) == 2  # the static picture is still drawn
    assert not interactive_enabled()


def test_no_widget_without_ipywidgets(monkeypatch):
    monkeypatch.setattr(widgets, "_ipywidgets", lambda: None)
    draw = Recorder()
    result = explore(draw, static=[{"d": 4}], d=(2, 32, 2))
    assert result.widget is None
    assert len(result.figure.get_axes()) == 1
    assert not interactive_enabled()


def test_interactive_enabled_outside_grading():
    pytest.importorskip("ipywidgets")
    assert interactive_enabled()


def test_rejects_empty_static_and_non_callable():
    with pytest.raises(ValueError):
        explore(Recorder(), static=[])
    with pytest.raises(TypeError):
        explore("not a function", static=[{"d": 4}])


def test_module_never_imports_autograder():
    source = open(widgets.__file__, encoding="utf-8").read()
    assert widgets.__doc__ and "static" in widgets.__doc__
    assert not re.search(r"^\s*(from|import)\s+autograder", source, re.MULTILINE)
    assert (
        "autograder" not in source
    )  # ships in the student edition, whose leak check bans the word

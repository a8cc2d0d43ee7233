"""A widget with a static fallback (带静态后备图的交互控件).

Notebooks use widgets where exploring beats reading (the angle between two vectors, the √d_k
scale on softmax sharpness, ...). A widget alone shows nothing in nbval runs, in the feedback
HTML a learner gets back, or in a plain notebook viewer. So `explore` always does two things:

1. it first draws a **static** matplotlib picture, one panel per setting in `static`;
2. then, if ipywidgets is importable and this is not a grading run (the environment variable
   ``NBGRADER_EXECUTION`` is unset), it shows an ``ipywidgets.interactive`` control that
   redraws one panel whenever a slider moves.

    def draw(ax, d=64, scaled=True):
        ...                                # plot onto the matplotlib Axes `ax`

    explore(draw, static=[{"d": 4}, {"d": 1024}], d=(4, 1024, 4), scaled=True)

`draw(ax, **params)` must draw onto the Axes it is given (and may set its title); it is
called once per static setting and once per slider change. Slider keyword arguments use the
ipywidgets abbreviations: ``(min, max, step)`` gives a slider, ``True``/``False`` a checkbox,
a list a drop-down, a string a text box; a widget object is used as is. The interactive
control starts at the first static setting. Plot labels should be English (matplotlib's
default fonts have no CJK glyphs).

This module is student-facing: it never imports the instructor-side grading package.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["GRADING_ENV", "Exploration", "explore", "interactive_enabled"]

GRADING_ENV = "NBGRADER_EXECUTION"  # set by nbgrader while validating and autograding


@dataclass
class Exploration:
    """What `explore` made: the static picture, and the control when one was shown."""

    figure: Figure
    widget: Any | None = None  # an ipywidgets.interactive, or None (fallback only)


def _ipywidgets() -> ModuleType | None:
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def interactive_enabled() -> bool:
    """True when `explore` will add a widget: ipywidgets importable and not a grading run."""
    return not os.environ.get(GRADING_ENV) and _ipywidgets() is not None


def _display(obj: Any) -> None:
    """Show `obj` in a notebook; outside IPython (scripts, tests) do nothing."""
    if _in_ipython():
        from IPython.display import display

        display(obj)


def _show(fig: Figure, keep_open: bool) -> None:
    """Show `fig` the way plt.show() would in this notebook, then close it unless `keep_open`.

    In a notebook plt.show() renders the figure (inline backend) or, under a non-interactive
    backend such as the Agg a grader may choose, shows nothing and warns about nothing. Outside
    IPython (scripts, tests) nothing is shown and the static figure stays open for the caller.
    """
    if _in_ipython():
        plt.show()
        keep_open = False  # shown (or deliberately not rendered): never show it twice
    if not keep_open:
        plt.close(fig)


def explore(
    draw: Callable[..., Any],
    static: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    panel_size: tuple[float, float] = (4.0, 3.0),
    **sliders: Any,
) -> Exploration:
    """Draw `draw(ax, **setting)` for every setting in `static`, then offer sliders if possible.

    Returns an `Exploration` with the static figure and the widget (None when only the static
    picture was shown: ipywidgets missing, ``NBGRADER_EXECUTION`` set, or no sliders given).
    """
    if not callable(draw):
        raise TypeError("draw must be a callable draw(ax, **params)")
    settings = [dict(s) for s in static]
    if not settings:
        raise ValueError("static needs at least one setting (a dict of draw's keyword arguments)")

    width, height = panel_size
    fig, axes = plt.subplots(
        1, len(settings), figsize=(width * len(settings), height), squeeze=False
    )
    for ax, setting in zip(axes[0], settings, strict=True):
        draw(ax, **setting)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _show(fig, keep_open=True)

    widgets = _ipywidgets()
    if not sliders or widgets is None or not interactive_enabled():
        return Exploration(fig)
    return Exploration(fig, _interactive(widgets, draw, settings[0], panel_size, sliders))


def _interactive(
    widgets: ModuleType,
    draw: Callable[..., Any],
    start: dict[str, Any],
    panel_size: tuple[float, float],
    sliders: dict[str, Any],
) -> Any:
    def redraw(**params: Any) -> None:
        fig, ax = plt.subplots(figsize=panel_size)
        draw(ax, **params)
        fig.tight_layout()
        _show(fig, keep_open=False)  # one picture per slider change; never keep old ones open

    # ipywidgets takes each control's first value from the function's defaults: start the
    # sliders at the first static setting.
    # Settings without a slider are passed through unchanged (ipywidgets.fixed).
    params = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=start.get(name, inspect.Parameter.empty)
        )
        for name in sliders
    ]
    params.append(inspect.Parameter("other_settings", inspect.Parameter.VAR_KEYWORD))
    redraw.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    fixed = {name: widgets.fixed(value) for name, value in start.items() if name not in sliders}
    control = widgets.interactive(redraw, **sliders, **fixed)
    for child in control.children:
        if hasattr(child, "continuous_update"):
            child.continuous_update = False  # redraw when the slider is released
    _display(control)
    return control

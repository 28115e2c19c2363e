"""Lesson 00's figure as a learner uses it: clicked with the mouse in JupyterLab in headless Chromium.

Open notebook 00 (a temporary copy, see conftest.py), run it from the top, press the demo's "clear", then
click with Playwright's mouse on the true curve at x = −2 in the plot: the picture (the pixels of the ipympl
canvas) and the readout under it must change and say there is one point of the learner's; a second click on
that point must remove it again. Where to click comes from the same figure built here: its axes in figure
pixels, scaled to the canvas on the page.
"""
import time

import numpy as np

from mamlkit.demos import sinusoid
from test_jupyterlab import run_notebook

NAME = "00_few_shot_sinusoids.ipynb"
TIMEOUT = 20  # s: the picture and the readout have changed after a click
DEMO = ".jp-OutputArea-output:has(button:text-is('clear'))"
# A signature of the picture on the ipympl canvas (its bottom canvas; the top one takes the mouse).
JS_PICTURE = """area => {
    const canvas = area.querySelector('.jupyter-matplotlib-canvas-div canvas');
    const url = canvas ? canvas.toDataURL() : '';
    let h = 0;
    for (let i = 0; i < url.length; i++) h = (h * 31 + url.charCodeAt(i)) | 0;
    return url.length + ':' + h;
}"""
JS_READOUT = """area => [...area.querySelectorAll('.widget-html-content')].map(e => e.textContent).join('|')"""
JS_ERRORS = """area => [...area.querySelectorAll('.mamlkit-error')].map(e => e.textContent.trim())"""


def screen_point(page, area, x, y):
    """Where on the page the demo's plot shows data point (x, y)."""
    demo = sinusoid.sinusoid_fit()
    px, py = demo.fig.axes[0].transData.transform((x, y))
    width, height = demo.fig.bbox.size
    box = area.query_selector(".jupyter-matplotlib-canvas-div canvas").bounding_box()
    scale = box["width"] / width
    return box["x"] + px * scale, box["y"] + (height - py) * scale


def click_and_watch(page, area, point):
    """Click at the page point, then wait until picture and readout both changed: (picture, readout)."""
    before = area.evaluate(JS_PICTURE), area.evaluate(JS_READOUT)
    page.mouse.click(*point)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        now = area.evaluate(JS_PICTURE), area.evaluate(JS_READOUT)
        if now[0] != before[0] and now[1] != before[1]:
            return now
        time.sleep(0.2)
    raise AssertionError(f"a click did not change both the picture and the readout within {TIMEOUT} s: "
                         f"picture {before[0]} → {now[0]}, readout {before[1]!r} → {now[1]!r}")


def test_clicking_on_lesson_00s_figure_places_and_removes_a_point(lab, browser, artifacts, summary):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        run_notebook(page, lab, NAME)
        area = page.wait_for_selector(DEMO)
        area.scroll_into_view_if_needed()
        area.query_selector("button:text-is('clear')").click()
        page.wait_for_function("a => a.textContent.includes('No support points')", arg=area)
        time.sleep(0.5)  # the cleared picture has arrived
        point = screen_point(page, area, -2.0, 2.0 * np.sin(-2.0 - np.pi / 2))
        started = time.monotonic()
        picture, readout = click_and_watch(page, area, point)
        placed = time.monotonic() - started
        assert "against the true curve of A = 2.00" in readout, readout
        page.screenshot(path=str(artifacts / "00-clicked.png"))
        _, readout = click_and_watch(page, area, point)  # on the point: it goes again
        assert "No support points" in readout, readout
        assert not area.evaluate(JS_ERRORS), area.evaluate(JS_ERRORS)
        summary.append(f"{NAME}: a click placed a point (picture and readout changed in {placed:.2f} s), "
                       "a second click on it removed it")
    finally:
        context.close()
        lab.shut_down_sessions()

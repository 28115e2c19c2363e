"""Every course notebook as a learner sees it: opened in JupyterLab in headless Chromium and run from the top.

For each notebook (a temporary copy; see conftest.py): open it, clear its stored outputs, Run All Cells from the
Run menu, wait until the kernel is idle and no cell is queued, then save it and read the saved file. Assert:

* the kernel finished: every code cell has an execution count, 1, 2, ... in order (a fresh kernel);
* no error output: no output of type error, no traceback in any stderr output (tqdm bars there are fine),
  no callback error shown in red by a demo, and no traceback written by the kernel to the server log (where
  exceptions inside widget callbacks that escape the demo end up, invisible to a learner);
* every ipywidgets control rendered as a widget: as many rendered widget views as the saved notebook has widget
  outputs, and no text repr such as "FloatSlider(value=..." or "VBox(children=..." anywhere;
* moving each slider with the keyboard (focus its handle, ArrowRight, or ArrowLeft at the maximum) redraws the
  figure it drives (the images inside that widget output) within SLIDER_TIMEOUT. A one-step move may leave
  the picture pixel for pixel the same; the slider is then moved to the end of its range (End, or Home), and
  if the picture is still the same the slider is listed in a NOTE of the summary (not a failure: the demo is
  wired and redraws, but that slider shows nothing at the defaults).

The end of the run prints one line per notebook (run time, widgets, sliders, slowest figure update) and the
folder of the screenshots, one of each notebook after its run: test-artifacts/browser/ (git-ignored).
"""
import re
import time
from pathlib import Path

import ipywidgets
import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
LOAD_TIMEOUT = 120  # s: page loaded and kernel started
RUN_TIMEOUT = 300  # s: all cells run (a notebook takes up to ~45 s alone, more on a busy machine)
SLIDER_TIMEOUT = 10  # s: the figure a slider drives has changed after a key press
POLL = 0.25  # s
MAX_SHOT = 12000  # px: the tallest screenshot
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NAMES = sorted(name for name, obj in vars(ipywidgets).items()
                      if isinstance(obj, type) and issubclass(obj, ipywidgets.DOMWidget))
# A widget shown as text: its repr, e.g. "IntSlider(value=3)", "VBox(children=(...))", "Output()".
WIDGET_REPR = re.compile(r"\b(?:%s)\((?:\)|[a-z_]+=)" % "|".join(WIDGET_NAMES))
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...", "Error rendering")
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Page-side helpers (JavaScript run in the browser).
JS_STATE = """() => {
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')].map(p => p.textContent);
    return {status: indicator ? indicator.getAttribute('data-status') : null,
            queued: prompts.filter(p => p.includes('*')).length};
}"""
# A signature of every picture in an output area: a string hash of each image's src (the PNG as a data
# URL) and of each canvas's pixels (an ipympl figure draws on a canvas).
JS_IMAGES = """area => [...area.querySelectorAll('img')].map(img => img.src)
    .concat([...area.querySelectorAll('canvas')].map(c => c.toDataURL())).map(src => {
    let h = 0;
    for (let i = 0; i < src.length; i++) h = (h * 31 + src.charCodeAt(i)) | 0;
    return src.length + ':' + h;
}).join(',')"""
JS_WIDGET_OUTPUTS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.querySelector(':scope > .jupyter-widgets')).length"""
JS_DEMO_ERRORS = """root => [...(root || document).querySelectorAll('.mamlkit-error')].map(e => e.textContent.trim())"""
JS_LOADING = """() => document.body.innerText.includes('Loading widget...')"""
JS_TEXT_OUTPUTS = """() => [...document.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText)"""
# JupyterLab's log console collects kernel output that belongs to no cell, such as the traceback of an
# exception inside a widget callback; its status bar item counts the entries.
JS_LOG_COUNT = """() => {
    const item = document.querySelector('.jp-LogConsoleStatusItem');
    return item ? Number(item.textContent) || 0 : 0;
}"""
# The height of a notebook's content in its scrolling panel: down to the end of the last cell.
JS_CONTENT_HEIGHT = """panel => {
    const cells = panel.querySelectorAll('.jp-Cell');
    const bottom = cells.length ? cells[cells.length - 1].getBoundingClientRect().bottom : 0;
    return Math.ceil(bottom - panel.getBoundingClientRect().top + panel.scrollTop + 20);
}"""
# Where a slider is, for messages: 'cell 13, slider 2 of 15 ("θ: b")' (cells counted from 1, all kinds).
JS_SLIDER_LABEL = """handle => {
    const cell = handle.closest('.jp-Cell');
    const index = [...document.querySelectorAll('.jp-Notebook .jp-Cell')].indexOf(cell) + 1;
    const label = handle.closest('.widget-slider').querySelector('.widget-label').textContent.trim();
    const sliders = [...cell.querySelectorAll('.widget-slider .noUi-handle')];
    const number = sliders.indexOf(handle) + 1;
    return `cell ${index}, slider ${number} of ${sliders.length}` + (label ? ` (${JSON.stringify(label)})` : '');
}"""


def run_menu_command(page, menu, command):
    """Click a menu of the menu bar, then its item for the JupyterLab command ``command``, as a learner would."""
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
    page.click(f"li.lm-Menu-item[data-command='{command}']")


def wait_for_kernel(page, lab, name):
    """Wait until the notebook's kernel has started and the page shows it idle (Run All before that would ask
    which kernel to start)."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    while lab.kernel_state(name) != "idle" or page.evaluate(JS_STATE)["status"] != "idle":
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel did not start within {LOAD_TIMEOUT} s")
        time.sleep(POLL)


def wait_until_finished(page, timeout):
    """Wait until the kernel is idle and no cell is queued ([*]), three polls in a row; raise on a dead kernel."""
    deadline, quiet = time.monotonic() + timeout, 0
    while quiet < 3:
        state = page.evaluate(JS_STATE)
        if state["status"] in ("dead", "autorestarting", "restarting"):
            raise AssertionError(f"the kernel died (status {state['status']!r}) while running the notebook")
        if time.monotonic() > deadline:
            raise AssertionError(f"the notebook did not finish within {timeout} s (last state {state})")
        quiet = quiet + 1 if state["status"] == "idle" and state["queued"] == 0 else 0
        time.sleep(POLL * 2)


def run_notebook(page, lab, name):
    """Open the notebook ``name`` with a fresh kernel, clear its stored outputs and Run All Cells."""
    page.goto(f"{lab.url}lab/tree/{name}?reset")
    wait_for_kernel(page, lab, name)
    page.click(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")  # fold the file browser away
    run_menu_command(page, "Edit", "editmenu:clear-all")  # stored outputs and counts must not count
    run_menu_command(page, "Run", "runmenu:run-all")
    time.sleep(1)
    wait_until_finished(page, RUN_TIMEOUT)


def saved_notebook(page, path):
    """Save the notebook from JupyterLab (File > Save) and read the file it wrote."""
    before = path.stat().st_mtime_ns
    run_menu_command(page, "File", "docmanager:save")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before or page.query_selector(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty"):
        if time.monotonic() > deadline:
            raise AssertionError("JupyterLab did not save the notebook within 30 s")
        time.sleep(POLL)
    return nbformat.read(path, as_version=4)


def execution_problems(notebook):
    """Cells that did not run, ran out of order, or produced an error (from the saved notebook; cells are
    counted from 1, markdown cells included, as in the other messages)."""
    problems = []
    code = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    counts = [cell.execution_count for cell in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(f"execution counts {counts}, expected 1..{len(code)} in order (not every cell ran)")
    for index, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                trace = ANSI.sub("", "\n".join(output.get("traceback", [])))[-1500:]
                problems.append(f"cell {index}: {output.ename}: {output.evalue}\n{trace}")
            elif output.output_type == "stream" and output.name == "stderr" and ERROR_LINE.search(output.text):
                problems.append(f"cell {index} wrote an error to stderr:\n{output.text[-1500:]}")
    return problems


def widget_outputs(notebook):
    return sum(WIDGET_VIEW in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def rendering_problems(page, notebook):
    """Widgets shown as text, not rendered, or failing to render; errors a demo shows in red."""
    deadline = time.monotonic() + SLIDER_TIMEOUT
    while page.evaluate(JS_LOADING) and time.monotonic() < deadline:  # widget views still on their way
        time.sleep(POLL)
    problems = []
    for text in page.evaluate(JS_TEXT_OUTPUTS):
        if WIDGET_REPR.search(text) or any(failure in text for failure in WIDGET_FAILURES):
            problems.append(f"a widget is shown as text, not rendered: {text[:200]!r}")
    rendered, expected = page.evaluate(JS_WIDGET_OUTPUTS), widget_outputs(notebook)
    if rendered != expected:
        problems.append(f"{rendered} widget outputs rendered as widgets, the notebook has {expected}")
    problems += [f"a demo shows an error: {error}" for error in page.evaluate(JS_DEMO_ERRORS)]
    return problems


def press_and_watch(page, area, key):
    """Press ``key`` (the focus is on a slider handle) and watch the images in ``area``: ("changed", seconds)
    as soon as they differ; after SLIDER_TIMEOUT, ("same", ...) if new image elements came with the same
    pixels, (None, ...) if none came at all."""
    before = area.evaluate(JS_IMAGES)
    area.evaluate("a => a.querySelectorAll('img').forEach(img => { img.dataset.seen = '1'; })")
    start = time.monotonic()
    page.keyboard.press(key)
    while time.monotonic() - start < SLIDER_TIMEOUT:
        now = area.evaluate(JS_IMAGES)
        if now and now != before:  # (no image at all: between clearing the output and the new picture)
            return "changed", time.monotonic() - start
        time.sleep(POLL / 5)
    # a new image element, or a canvas (redrawn in place: whether it was cannot be told)
    redrawn = area.evaluate("a => a.querySelector('img:not([data-seen]), canvas') !== null")
    return ("same" if redrawn else None), SLIDER_TIMEOUT


def slider_problems(page):
    """Move every enabled slider of every widget output with the keyboard: one step (ArrowRight, or ArrowLeft
    at the maximum), and if the new picture looks the same, to the end of its range (End, or Home). The
    figure in that output (its images) must be redrawn within SLIDER_TIMEOUT.

    Returns (problems, sliders whose figure changed, sliders whose figure was redrawn pixel for pixel the same
    even at the end of their range, slowest response in s)."""
    problems, moved, unchanged, slowest = [], 0, [], 0.0
    areas = [area for area in page.query_selector_all(".jp-OutputArea-output")
             if area.query_selector(".jupyter-widgets.widget-slider, .jupyter-widgets .widget-slider")]
    for area in areas:
        for handle in area.query_selector_all(".widget-slider .noUi-handle"):
            label = handle.evaluate(JS_SLIDER_LABEL)
            if handle.evaluate("h => h.closest('.slider').hasAttribute('disabled')"):
                continue  # a learner cannot move it either
            if not area.evaluate(JS_IMAGES):
                problems.append(f"{label} drives no figure (no image in its widget output)")
                continue
            at_max = float(handle.get_attribute("aria-valuenow")) >= float(handle.get_attribute("aria-valuemax"))
            keys = ("ArrowLeft", "Home") if at_max else ("ArrowRight", "End")
            handle.focus()
            result, elapsed = press_and_watch(page, area, keys[0])
            if result == "same":
                wait_until_finished(page, RUN_TIMEOUT)
                result, elapsed = press_and_watch(page, area, keys[1])
            if result is None:
                problems.append(f"moving {label} did not redraw its figure within {SLIDER_TIMEOUT} s")
            elif result == "same":
                unchanged.append(label)
            else:
                moved, slowest = moved + 1, max(slowest, elapsed)
            wait_until_finished(page, RUN_TIMEOUT)
            problems += [f"after moving {label} the demo shows an error: {error}"
                         for error in area.evaluate(JS_DEMO_ERRORS)]
    return problems, moved, unchanged, slowest


def log_console_problems(page):
    """Errors in JupyterLab's log console (kernel output outside any cell, e.g. from widget callbacks)."""
    if not page.evaluate(JS_LOG_COUNT):
        return []
    run_menu_command(page, "View", "logconsole:open")
    page.wait_for_selector(".jp-LogConsolePanel")
    text = page.inner_text(".jp-LogConsolePanel")
    return [f"JupyterLab's log console shows an error a learner would not see:\n{text[-2000:]}"] \
        if ERROR_LINE.search(text) else []


def server_log_problems(log, start):
    """Tracebacks the server log got from byte ``start`` on: the kernel's stderr ends up there, so an exception that
    escapes a widget callback is written there and nowhere a learner looks."""
    with open(log, "rb") as file:
        file.seek(start)
        text = file.read().decode(errors="replace")
    found = text.find("Traceback (most recent call last)")
    if found < 0:
        return []
    return [f"the server log ({log}) got a traceback during this notebook:\n{text[found:found + 2000]}"]


def fit_window_to_notebook(page, max_height):
    """Make the window as tall as the open notebook (at most ``max_height`` px): (its scroller's
    selector, the notebook's height)."""
    scroller = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
    height = page.eval_on_selector(scroller, JS_CONTENT_HEIGHT)
    # the window's height less the notebook's: menus, toolbar, status bar
    chrome = page.viewport_size["height"] - page.eval_on_selector(scroller, "e => e.clientHeight")
    page.set_viewport_size({"width": 1280, "height": min(height + chrome, max_height)})
    time.sleep(1)  # let JupyterLab lay the taller window out
    return scroller, height


def screenshot(page, folder, stem):
    """The whole notebook in images of at most MAX_SHOT px height: the window made as tall as the notebook
    (stem.png), or for a very long notebook one image per screenful (stem-1.png, stem-2.png, ...)."""
    scroller, height = fit_window_to_notebook(page, MAX_SHOT)
    visible = page.eval_on_selector(scroller, "e => e.clientHeight")
    pages = -(-height // visible)
    for k in range(pages):
        page.eval_on_selector(scroller, f"e => {{ e.scrollTop = {k * visible}; }}")
        time.sleep(0.3)
        page.screenshot(path=str(folder / (f"{stem}.png" if pages == 1 else f"{stem}-{k + 1}.png")))


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS], ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(name, lab, browser, artifacts, summary):
    path = Path(lab.root) / name
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    started, log_start = time.monotonic(), lab.log.stat().st_size
    try:
        run_notebook(page, lab, name)
        ran = time.monotonic() - started
        notebook = saved_notebook(page, path)
        cells = page.query_selector_all(".jp-Notebook .jp-Cell")
        assert len(cells) == len(notebook.cells), (
            f"{len(cells)} cells in the page, {len(notebook.cells)} in the notebook (is windowing on?)")
        problems = execution_problems(notebook) + rendering_problems(page, notebook)
        slider_trouble, moved, unchanged, slowest = slider_problems(page)
        problems += slider_trouble
        screenshot(page, artifacts, Path(name).stem)
        problems += log_console_problems(page) + server_log_problems(lab.log, log_start)
        summary.append(f"{name}: Run All took {ran:.0f} s; {widget_outputs(notebook)} widget outputs; "
                       f"{moved} sliders changed their figure, the slowest in {slowest:.2f} s; "
                       f"{len(problems)} problem(s)")
        if unchanged:
            summary.append(f"  NOTE {name}: figure redrawn pixel for pixel the same after moving (even to the "
                           f"end of the range): {', '.join(unchanged)}")
        if problems:
            pytest.fail(f"{name} in JupyterLab ({len(problems)} problem(s); screenshot in {artifacts}):\n- "
                        + "\n- ".join(problems) + (f"\npage errors: {page_errors}" if page_errors else ""),
                        pytrace=False)
    finally:
        if not any(artifacts.glob(f"{Path(name).stem}*.png")):
            page.screenshot(path=str(artifacts / f"{Path(name).stem}-failed.png"))
        context.close()
        lab.shut_down_sessions()


# --- The mouse on the figures (issue 19): helpers for any notebook's figure, and the drag on 01 ---

def figure_output(page, code):
    """The output area of the (first) code cell whose source is ``code``, showing an ipympl figure."""
    for cell in page.query_selector_all(".jp-Notebook .jp-CodeCell"):
        editor = cell.query_selector(".jp-InputArea-editor")  # none where the input is hidden
        if editor is not None and editor.inner_text().strip() == code.strip():
            area = cell.query_selector(".jp-OutputArea-output:has(.jupyter-matplotlib)")
            assert area is not None, f"the cell {code!r} shows no ipympl figure"
            return area
    raise AssertionError(f"no code cell {code!r}")


def page_point(area, fig, ax, x, y):
    """The page position of data point (x, y) of axes ``ax`` of ``fig``, a headless copy of the figure
    that ``area`` shows (same size and layout): for page.mouse."""
    area.scroll_into_view_if_needed()
    box = area.query_selector(".jupyter-matplotlib-canvas-div canvas").bounding_box()
    px, py = ax.transData.transform((x, y))
    return box["x"] + px * box["width"] / fig.bbox.width, box["y"] + box["height"] * (1 - py / fig.bbox.height)


def wait_for_picture_change(area, before, timeout=SLIDER_TIMEOUT):
    """Wait until the pictures in ``area`` differ from the signature ``before``; the new signature."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = area.evaluate(JS_IMAGES)
        if now and now != before:
            return now
        time.sleep(POLL / 5)
    raise AssertionError(f"the figure did not change within {timeout} s")


def mouse_drag(page, points, steps=5):
    """Press the left button at the first page point, move through the others, release at the last."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def message_of(area):
    """The text of the demo's message line (the last HTML widget of the output)."""
    return area.query_selector_all(".widget-html")[-1].inner_text()


def slider_readouts(area):
    return [r.inner_text() for r in area.query_selector_all(".widget-readout")]


@pytest.mark.parametrize("name", ["01_maml.ipynb"], ids=["01_maml"])
def test_dragging_theta_on_01_meta_loss_landscape(name, lab, browser, summary):
    """Dragging θ with the mouse on the summed meta-loss panel moves θ there: the picture and the
    readout change, the θ sliders follow, and no error is shown."""
    from mamlkit.demos.landscapes import meta_loss_landscape

    twin = meta_loss_landscape()  # the same figure, headless: where its axes are
    ax = twin.fig.axes[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        run_notebook(page, lab, name)
        area = figure_output(page, "landscapes.meta_loss_landscape()")
        before, said = area.evaluate(JS_IMAGES), message_of(area)
        assert "At θ = (0.35, 0.55)" in said, said
        start = time.monotonic()
        mouse_drag(page, [page_point(area, twin.fig, ax, 0.35, 0.55), page_point(area, twin.fig, ax, 0.6, 0.3),
                          page_point(area, twin.fig, ax, 0.8, 0.2)])
        wait_for_picture_change(area, before)
        deadline = time.monotonic() + SLIDER_TIMEOUT
        while "At θ = (0.80, 0.20)" not in message_of(area) and time.monotonic() < deadline:
            time.sleep(POLL / 5)
        elapsed = time.monotonic() - start
        now = message_of(area)
        at = re.search(r"At θ = \(([\d.]+), ([\d.]+)\)", now)
        readouts = slider_readouts(area)[1:3]  # after k: θ: a and θ: b
        for shown in (at.groups(), readouts):  # a pixel is about 0.004 in a or b
            assert abs(float(shown[0]) - 0.8) < 0.015 and abs(float(shown[1]) - 0.2) < 0.015, (now, readouts)
        assert not area.evaluate(JS_DEMO_ERRORS)
        summary.append(f"{name}: a drag of θ on the meta-loss landscape redrew it and its readout "
                       f"({elapsed:.2f} s from the press to the final readout)")
    finally:
        twin.fig.clear()
        context.close()
        lab.shut_down_sessions()

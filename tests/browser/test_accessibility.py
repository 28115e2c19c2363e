"""Accessibility, measured with axe-core (the copy bundled in axe-playwright-python: nothing
fetched) on a page of the course website and on a lesson run in JupyterLab.

Every violation is reported: written to test-artifacts/browser/accessibility.md and counted in the
browser test's summary. The test fails only on the violations that are the course's own, the ones
its authors can fix: a figure without a text alternative, a heading that skips a level, text too
faint to read, in what the course writes (the markdown cells, the outputs and widgets of its code,
and the whole website, whose template and CSS are tools/site_template/). JupyterLab's own interface
(menus, toolbars, the file browser, the editor's colours) is reported, not failed on: that is
JupyterLab's.

axe-core evaluates no text contrast inside JupyterLab's notebook (only its form fields: it counts
the notebook's text as not visible), so the contrast of the widgets' text is measured here as WCAG 2
defines it (JS_FAINT_TEXT: each element's own text against the first opaque background behind it,
4.5:1, or 3:1 for large text; disabled controls are exempt).
"""
import json
import time

import pytest
from test_jupyterlab import fit_window_to_notebook, run_notebook
from test_site_in_browser import open_page, site_server  # noqa: F401 - site_server is a fixture

SITE_PAGE = "01_maml.html"
# The lesson run in JupyterLab: the quickest to run (a few seconds) of those with widgets, whose
# text is the course's (run, so that the widgets are drawn: a notebook only opened shows none).
LESSON = "00_few_shot_sinusoids.ipynb"
MAX_HEIGHT = 32_000  # px: the window, made as tall as the notebook
JS_WIDGETS = "() => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length"
# The rules whose violations the course can commit, and where in JupyterLab its own text is: alt
# text and headings in its markdown (cells, and markdown outputs), contrast there and in widgets.
# (A figure output has no alt text in JupyterLab, whatever the course does: JupyterLab renders an
# image/png output as an <img> without one; reported only. The site gives each figure one.)
MARKDOWN = ".jp-MarkdownOutput, .jp-RenderedMarkdown"
OWN_IN_LAB = {"image-alt": MARKDOWN, "role-img-alt": MARKDOWN, "svg-img-alt": MARKDOWN,
              "heading-order": MARKDOWN, "empty-heading": MARKDOWN, "empty-table-header": MARKDOWN,
              "link-name": MARKDOWN, "link-in-text-block": MARKDOWN,
              "color-contrast": f"{MARKDOWN}, .jupyter-widgets"}
WIDGET_TEXT = ".jp-OutputArea-output .jupyter-widgets"
# Elements under root with their own text whose contrast is below WCAG's AA threshold.
JS_FAINT_TEXT = """root => {
    const rgba = text => (text.match(/[\\d.]+/g) || []).map(Number);
    const luminance = rgb => rgb.map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, k) => sum + [0.2126, 0.7152, 0.0722][k] * v, 0);
    const behind = element => {
        for (let e = element; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const faint = [];
    for (const element of document.querySelectorAll(root + ' *')) {
        const text = [...element.childNodes].filter(n => n.nodeType === 3)
            .map(n => n.textContent).join('').trim();
        if (!text || element.getClientRects().length === 0
            || element.closest('[disabled], .mod-disabled, :disabled')) continue;
        const style = getComputedStyle(element), ground = behind(element);
        const ink = rgba(style.color), alpha = ink.length === 4 ? ink[3] : 1;
        const seen = ink.slice(0, 3).map((v, k) => alpha * v + (1 - alpha) * ground[k]);
        const [a, b] = [luminance(seen), luminance(ground)];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
        const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
        if (ratio < needed) faint.push(`${JSON.stringify(text.slice(0, 50))} in <${
            element.tagName.toLowerCase()} class="${element.className}">: ${
            ratio.toFixed(2)}:1, ${style.color} on rgb(${ground})`);
    }
    return faint;
}"""
JS_TEXTS = """root => [...document.querySelectorAll(root + ' *')]
    .filter(e => e.childElementCount === 0 && e.textContent.trim()).length"""
JS_IS_OWN = """([selector, own]) => {
    const node = document.querySelector(selector);
    return node !== null && node.closest(own) !== null;
}"""
# Faint text in a widget and a picture without alt text in a markdown cell, which the test must see.
JS_PLANT = """() => {
    document.querySelector('.jp-OutputArea-output .jupyter-widgets')
        .insertAdjacentHTML('beforeend', '<span style="color: #dddddd">faint</span>');
    document.querySelector('.jp-MarkdownOutput').insertAdjacentHTML('beforeend',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="' +
        ' width="20" height="20">');
}"""
REPORT = []  # markdown lines, written at the end of each test


def axe(page):
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


def node_selector(node):
    """A CSS selector of an axe result node (the last of a path through frames or shadow DOM)."""
    target = node["target"][-1]
    return target[-1] if isinstance(target, list) else target


def sorted_out(page, violations, own_in):
    """(the course's own violations, the others), each a list of (rule, impact, help, nodes);
    own_in: {rule: the CSS selector of the parts of the page where that rule's violations are the
    course's}, or None: all of them are."""
    own, others = [], []
    for violation in violations:
        nodes = violation["nodes"]
        where = "html" if own_in is None else own_in.get(violation["id"])
        mine = [n for n in nodes if where and page.evaluate(JS_IS_OWN, [node_selector(n), where])]
        rest = [n for n in nodes if n not in mine]
        for bucket, chosen in ((own, mine), (others, rest)):
            if chosen:
                bucket.append((violation["id"], violation["impact"], violation["help"], chosen))
    return own, others


def report(where, own, others, artifacts, summary):
    count = sum(len(nodes) for *_, nodes in own + others)
    summary.append(f"axe on {where}: {count} violating element(s) in {len(own) + len(others)} "
                   f"rule(s); the course's own: {sum(len(n) for *_, n in own)}")
    REPORT.append(f"## {where}\n")
    for title, group in (("The course's own (the test fails on these)", own),
                         ("Not the course's (reported only)", others)):
        REPORT.append(f"### {title}: {len(group)} rule(s)\n")
        for rule, impact, help_text, nodes in group:
            REPORT.append(f"- `{rule}` ({impact}), {len(nodes)} element(s): {help_text}")
            REPORT.extend(f"  - `{node_selector(n)}`: `{n['html'][:160]}`" for n in nodes[:5])
        REPORT.append("")
    (artifacts / "accessibility.md").write_text("# axe-core violations\n\n" + "\n".join(REPORT))
    (artifacts / f"accessibility-{where.split()[0]}.json").write_text(json.dumps(
        {"own": own, "others": others}, indent=1, ensure_ascii=False))


def failure(where, own):
    lines = [f"- {rule} ({impact}): {help_text}: " + ", ".join(map(node_selector, nodes[:5]))
             for rule, impact, help_text, nodes in own]
    return (f"{where}: {sum(len(n) for *_, n in own)} accessibility violation(s) of the course's "
            "own (test-artifacts/browser/accessibility.md):\n" + "\n".join(lines))


def test_a_site_page_has_no_accessibility_violation(site_server, browser, artifacts, summary):
    page, context, _ = open_page(browser, site_server.url + SITE_PAGE)
    try:
        own, others = sorted_out(page, axe(page), None)  # the whole site is the course's
        report(f"site {SITE_PAGE}", own, others, artifacts, summary)
        assert not own, failure(f"site {SITE_PAGE}", own)
    finally:
        context.close()


def show_all_cells(page):
    """Make the window as tall as the notebook: axe checks the contrast of visible text only."""
    scroller, _ = fit_window_to_notebook(page, MAX_HEIGHT)
    page.eval_on_selector(scroller, "e => { e.scrollTop = 0; }")


def test_a_lesson_in_jupyterlab_has_no_accessibility_violation_of_its_own(lab, browser, artifacts,
                                                                          summary):
    """The lesson run in JupyterLab (Run All, so that its widgets are there), then axe on the
    page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        run_notebook(page, lab, LESSON)
        time.sleep(2)  # the last widget views and typeset maths
        show_all_cells(page)
        summary.append(f"JupyterLab {LESSON}: {page.evaluate(JS_WIDGETS)} widget views on the page")
        own, others = sorted_out(page, axe(page), OWN_IN_LAB)
        report(f"JupyterLab {LESSON}", own, others, artifacts, summary)
        faint = page.evaluate(JS_FAINT_TEXT, WIDGET_TEXT)
        texts = page.evaluate(JS_TEXTS, WIDGET_TEXT)
        summary.append(f"contrast of the widgets' text in {LESSON}: {len(faint)} of {texts} "
                       "text elements below WCAG AA" + "".join(f"\n  {line}" for line in faint))
        REPORT.append(f"### Widget text below WCAG AA contrast: {len(faint)} of {texts}\n")
        REPORT.extend(f"- {line}" for line in faint)
        (artifacts / "accessibility.md").write_text("# axe-core violations\n\n" + "\n".join(REPORT))
        assert not own, failure(f"JupyterLab {LESSON}", own)
        assert not faint, f"widget text too faint to read in {LESSON}:\n" + "\n".join(faint)
        # Both checks can fail: a planted faint text and picture without alt text are caught.
        page.evaluate(JS_PLANT)
        planted, _ = sorted_out(page, axe(page), OWN_IN_LAB)
        assert "image-alt" in {rule for rule, *_ in planted}, planted
        assert [line for line in page.evaluate(JS_FAINT_TEXT, WIDGET_TEXT) if "faint" in line]
    finally:
        context.close()
        lab.shut_down_sessions()


@pytest.fixture(autouse=True, scope="module")
def _fresh_report():
    REPORT.clear()
    yield

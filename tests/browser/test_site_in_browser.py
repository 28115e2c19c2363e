"""The course website in Chromium: the site (tools/website.py) is built into a temporary folder and
served by Python's http.server on 127.0.0.1 at a free port; the index and one lesson page are
opened, and each must show rendered maths where it has any (MathJax's output elements), every image
decoded (natural width > 0), and no error in the browser console, no failed request and no page
error (the site needs no network: a CDN would fail here).

The `site_server` fixture and `open_page` are shared with test_accessibility.py.
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import website  # noqa: E402

LESSON = "01_maml.html"
MATHJAX_TIMEOUT = 60_000  # ms
JS_MATHJAX_DONE = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue
    && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0"""
JS_MATHS = "() => document.querySelectorAll('.MathJax, .MathJax_Display').length"
JS_MATH_SOURCES = "() => document.querySelectorAll('script[type^=\"math/tex\"]').length"
JS_IMAGES = "() => [...document.images].map(img => [img.naturalWidth, img.alt.length])"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request on the test's output
        pass


class SiteServer:
    """The built site served on 127.0.0.1: its folder and base ``url``."""

    def __init__(self, folder):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a free port
        self.folder, self.url = folder, f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(scope="session")
def site_server(browser_requirements, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    website.build(folder)
    server = SiteServer(folder)
    yield server
    server.close()


def open_page(browser, url):
    """A new page at url once its maths is typeset; (page, context, console problems list)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(JS_MATHJAX_DONE, timeout=MATHJAX_TIMEOUT)
    return page, context, problems


@pytest.mark.parametrize("name", ["index.html", LESSON])
def test_a_site_page_shows_its_maths_and_figures_without_errors(name, site_server, browser,
                                                                artifacts, summary):
    page, context, problems = open_page(browser, site_server.url + name)
    try:
        sources, maths = page.evaluate(JS_MATH_SOURCES), page.evaluate(JS_MATHS)
        images = page.evaluate(JS_IMAGES)
        page.screenshot(path=str(artifacts / f"site-{Path(name).stem}.png"))
        summary.append(f"site {name}: {maths} rendered maths elements ({sources} formulas), "
                       f"{len(images)} images, {len(problems)} console problem(s)")
        if name == LESSON:
            assert sources > 0 and maths >= sources, f"{maths} rendered of {sources} formulas"
        assert images, "no figure on the page"
        assert all(width > 0 for width, _ in images), f"an image did not load: {images}"
        assert not problems, problems
    finally:
        context.close()


def test_the_index_links_to_every_page_that_exists(site_server, browser):
    page, context, _ = open_page(browser, site_server.url + "index.html")
    try:
        hrefs = page.eval_on_selector_all("main a[href$='.html']",
                                          "links => links.map(a => a.href)")
        assert hrefs
        for href in sorted(set(hrefs)):
            response = page.request.get(href)
            assert response.ok, f"{href}: HTTP {response.status}"
    finally:
        context.close()

"""The course website (tools/website.py, `make site`), built from the stored notebooks into a
temporary folder: a page per notebook and an index, every link between them resolving to a file
(and to an anchor on it), every figure embedded in its page with a text alternative, headings in
order, and nothing to be fetched from a CDN to view it. The browser tests
(tests/browser/test_site_in_browser.py, test_accessibility.py) open it in Chromium.
"""
import html.parser
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course  # noqa: E402
import launch_cell  # noqa: E402
import website  # noqa: E402

NOTEBOOKS = course.notebooks()
CDN = re.compile(r"cdnjs|unpkg\.com|jsdelivr|googleapis|mathjax\.org/|cdn\.")


class Page(html.parser.HTMLParser):
    """The links (href, src) and element ids of an HTML page, and its img tags' attributes."""

    def __init__(self, text):
        super().__init__()
        self.links, self.ids, self.images, self.scripts, self.headings = [], set(), [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(attrs)
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")):
            self.scripts.append(attrs.get("src") or attrs.get("href"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    website.build(out)
    return out


@pytest.fixture(scope="module")
def pages(site):
    return {path.name: Page(path.read_text(encoding="utf-8")) for path in site.glob("*.html")}


def pictures(notebook):
    """The figures a notebook's page must show: image/png outputs outside the solution cells."""
    return sum("image/png" in output.get("data", {}) for cell in notebook["cells"]
               if "solution" not in course.tags(cell) for output in cell.get("outputs", []))


def test_a_page_per_notebook_and_an_index(site):
    assert sorted(p.name for p in site.glob("*.html")) == sorted(
        ["index.html"] + [f"{path.stem}.html" for path in NOTEBOOKS])
    assert (site / "mathjax" / "MathJax.js").is_file()


def test_every_link_resolves_to_a_file_and_an_anchor_on_it(site, pages):
    broken = []
    for name, page in pages.items():
        for link in page.links:
            if re.match(r"[a-z]+:", link):  # https:, data:, mailto:
                continue
            path, _, anchor = link.partition("#")
            path = path.split("?")[0]
            if path and not (site / path).is_file():
                broken.append(f"{name}: {link}")
            elif anchor and anchor not in pages.get(path or name, page).ids:
                broken.append(f"{name}: {link} (no such anchor)")
    assert not broken, broken


def test_pages_link_to_one_another_not_to_notebooks(pages):
    for name, page in pages.items():
        assert not [link for link in page.links if ".ipynb" in link
                    and not link.startswith("https://")], name
    index = pages["index.html"]
    assert {f"{path.stem}.html" for path in NOTEBOOKS} <= set(index.links)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_is_embedded_with_a_text_alternative(path, pages):
    images = pages[f"{path.stem}.html"].images
    assert len(images) >= pictures(course.read(path))
    for image in images:
        assert image["src"].startswith("data:image/"), image["src"][:80]
        assert image.get("alt"), "an image without alt text"


def test_a_page_has_one_top_heading_and_never_skips_a_level(pages):
    """What axe-core's heading-order rule checks in the browser, for every page."""
    for name, page in pages.items():
        assert page.headings[:1] == [1] and page.headings.count(1) == 1, (name, page.headings)
        skips = [(a, b) for a, b in zip(page.headings, page.headings[1:]) if b > a + 1]
        assert not skips, f"{name}: a heading level skipped {skips}"


def test_nothing_is_fetched_from_a_cdn(site, pages):
    for name, page in pages.items():
        assert all(not re.match(r"(https?:)?//", src) for src in page.scripts), (name, page.scripts)
        assert not CDN.search((site / name).read_text(encoding="utf-8")), name


def test_the_index_has_the_readme_s_table_of_notebooks_and_its_notation(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section in ("The lessons", "Notation"):
        assert f">{section}<" in text
        for row in website.readme_section(readme, section).splitlines()[2:]:
            first = row.strip("|").split("|")[0].strip().strip("[]`")
            first = re.sub(r"\]\(.*", "", first).strip("`[]")
            assert first in text, f"{section}: {first!r} is not on the index page"


def test_solutions_are_not_on_the_site(site):
    for path in NOTEBOOKS:
        assert "# Solution" not in (site / f"{path.stem}.html").read_text(encoding="utf-8")


def test_links_are_rewritten_for_the_site():
    names = {"01_maml.ipynb"}
    assert website.target("01_maml.ipynb#the-outer-loop", names, "notebooks") == \
        "01_maml.html#the-outer-loop"
    assert website.target("notebooks/01_maml.ipynb", names, ".") == "01_maml.html"
    assert website.target("../benchmarks/README.md", names, "notebooks") == \
        f"{course.repository()}/blob/main/benchmarks/README.md"
    assert website.target("https://arxiv.org/abs/1703.03400", names, ".") == \
        "https://arxiv.org/abs/1703.03400"
    assert website.target("#top", names, ".") == "#top"
    assert website.target("../docs/maml.png", names, "notebooks") == "../docs/maml.png"  # embedded
    badges = "[![Colab](https://b/c.svg)](https://c/x) [![Binder](https://b/b.svg)](https://b/y)"
    assert website.relinked(badges, names, ".") == "[Colab](https://c/x) [Binder](https://b/y)"


def test_a_widget_is_shown_by_its_picture_or_a_note():
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "VBox()"}
    with_picture = nbformat.v4.new_output("display_data", data=dict(view, **{"image/png": "iVBO"}))
    assert website.shown(with_picture)["data"] == {"image/png": "iVBO"}
    note = website.shown(nbformat.v4.new_output("display_data", data=view))["data"]
    assert list(note) == ["text/markdown"] and note["text/markdown"] == website.WIDGET_NOTE
    assert "image/png" not in with_picture["data"] or len(with_picture["data"]) == 3  # not changed


def test_a_page_has_no_launch_cells_and_its_bar_has_the_launch_links(site):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A lesson", id="title"),
        nbformat.v4.new_code_cell("x = 1", id="code")])
    launched = nbformat.from_dict(launch_cell.with_launch_cells(notebook, "00_a.ipynb"))
    launched.cells = [nbformat.from_dict(cell) for cell in launched.cells]
    for cell in launched.cells:
        cell.source = course.source(cell)
    page = website.page_notebook(launched, {"00_a.ipynb"})
    assert [cell.id for cell in page.cells] == ["title", "code"]
    assert page.metadata["title"] == "A lesson"
    for path in NOTEBOOKS:
        text = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        assert f'href="{launch_cell.colab_url(path.name)}"' in text
        assert f'href="{launch_cell.binder_url(path.name)}"' in text

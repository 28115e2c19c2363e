"""The course as a static website: `python tools/website.py [OUT]` writes OUT (site/ by default).

One page per notebook of notebooks/, from its stored outputs, by nbconvert's HTML exporter with the
template in tools/site_template/ (JupyterLab's own, without anything fetched from a CDN), and an
index page with the README's table of notebooks and its notation. Nothing is needed from the network
to view it: MathJax comes from the jupyter-server-mathjax package into OUT/mathjax/, figures are
embedded in the pages, and a widget is shown by the picture stored beside it (image/png).

What a page changes from the notebook: the solution cells are left out (the site is for learners),
and so are the launch cells (the Colab and Binder links are in the page's navigation bar, as text:
the badges' images would come from the network); a widget without a stored picture is replaced by a
note; badges elsewhere (the README's) become plain links; links to a notebook (01_maml.ipynb) go to
its page (01_maml.html), and relative links to other files of the repository go to the repository's
copy.
"""
import copy
import re
import shutil
import sys
from pathlib import Path

import jupyter_server_mathjax
import nbformat
from nbconvert import HTMLExporter

import course
import launch_cell

OUT = course.ROOT / "site"
TEMPLATE = Path(__file__).resolve().parent / "site_template"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COURSE = "mamlkit: gradient-based meta-learning"
FIGURE_ALT = "Figure drawn by the code above; the text around it says what it shows."
WIDGET_NOTE = ("*Here the notebook has a widget: open it in JupyterLab, Binder or Colab (links "
               "at the top) to use it.*")
# Markdown links and images, [text](target) and ![alt](target), and HTML href/src attributes.
LINK = re.compile(r"(\]\()([^)\s]+)|((?:href|src)=[\"'])([^\"']+)")
BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)")
IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
HEADING = re.compile(r"^#+\s+(.+)$", re.MULTILINE)


def target(link, notebook_names, folder):
    """Where a link of a page should point: a notebook's page, the repository's copy of any other
    relative file (as seen from folder, a folder of the repository), or the link as it was."""
    if re.match(r"[a-z][a-z0-9+.-]*:|#|//", link):  # a URL, an anchor on the same page
        return link
    path, anchor = (link.split("#", 1) + [""])[:2]
    anchor = f"#{anchor}" if anchor else ""
    if Path(path).name in notebook_names:
        return f"{Path(path).stem}.html{anchor}"
    where = (course.ROOT / folder / path).resolve()
    if where.suffix in IMAGES and where.is_file():
        return link  # embedded into the page by the exporter (embed_images)
    if course.ROOT in where.parents:
        file = where.relative_to(course.ROOT).as_posix()
        return f"{course.repository()}/blob/main/{file}{anchor}"
    return link


def relinked(text, notebook_names, folder):
    """Markdown (or HTML) text with its badges made plain links and its links retargeted."""
    def swap(match):
        if match.group(1):
            return match.group(1) + target(match.group(2), notebook_names, folder)
        return match.group(3) + target(match.group(4), notebook_names, folder)
    return LINK.sub(swap, BADGE.sub(r"[\1](\2)", text))


def shown(output):
    """A stored output as the site shows it: a widget by its stored picture, or a note."""
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return output
    output = copy.deepcopy(output)
    if "image/png" in data:
        output["data"] = {"image/png": data["image/png"]}
    else:
        output["data"] = {"text/markdown": WIDGET_NOTE}
    return output


def page_notebook(notebook, notebook_names, folder="notebooks"):
    """The notebook (an nbformat node) as its page shows it; the input is not changed."""
    page = copy.deepcopy(notebook)
    page.metadata.pop("widgets", None)
    page.cells = [cell for cell in page.cells
                  if not {"solution", course.SETUP_TAG, course.BADGES_TAG} & set(course.tags(cell))]
    for cell in page.cells:
        if cell.cell_type == "markdown":
            cell.source = relinked(cell.source, notebook_names, folder)
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                output.data["text/markdown"] = relinked(
                    course.source({"source": output.data["text/markdown"]}), notebook_names, folder)
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(shown(output)) for output in cell.outputs]
    headings = [m.group(1) for cell in page.cells if cell.cell_type == "markdown"
                for m in [HEADING.search(cell.source)] if m]
    page.metadata["title"] = re.sub(r"[*_`$]", "", headings[0]) if headings else ""
    return page


def readme_section(readme, title):
    """The README's section '## title', up to the next '## ' heading (without its heading)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme,
                      re.MULTILINE | re.DOTALL)
    if not match:
        raise ValueError(f"README.md has no section '## {title}'")
    return match.group(1).strip()


def index_notebook(readme, notebook_names):
    """The index page as a notebook of markdown cells: the README's title and what stands under it
    (its launch badges, as links, and its picture), the table of notebooks and the notation."""
    title = re.search(r"^# (.+)$", readme, re.MULTILINE).group(1)
    intro = re.search(r"^# .+?\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL).group(1).strip()
    cells = [f"# {title}\n\n{intro}",
             "## The lessons\n\n" + readme_section(readme, "The lessons"),
             "## Notation\n\n" + readme_section(readme, "Notation")]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(relinked(text, notebook_names, "."), id=f"index-{k}")
               for k, text in enumerate(cells)],
        metadata={"title": title})
    return notebook


def exporter():
    return HTMLExporter(template_name=TEMPLATE.name, extra_template_basedirs=[str(TEMPLATE.parent)],
                        exclude_anchor_links=True, embed_images=True)


def html(exporter, notebook, site, folder):
    body, _ = exporter.from_notebook_node(notebook, resources={
        "site": site,
        "metadata": {"path": str(folder), "name": notebook.metadata.get("title", "")}})
    return body


def build(out=OUT, source=course.NOTEBOOKS, readme=course.ROOT / "README.md"):
    """Write the site into out: index.html, one NAME.html per notebook, mathjax/; the pages
    written."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(mathjax, out / "mathjax")
    paths = course.notebooks(source)
    names = {path.name for path in paths}
    pages = [page_notebook(nbformat.read(path, as_version=4), names) for path in paths]
    export, written = exporter(), []
    for k, (path, page) in enumerate(zip(paths, pages)):
        near = {key: {"href": f"{paths[j].stem}.html", "title": pages[j].metadata["title"]}
                for key, j in (("previous", k - 1), ("next", k + 1)) if 0 <= j < len(paths)}
        site = {"course": COURSE, "figure_alt": FIGURE_ALT, **near,
                "colab": launch_cell.colab_url(path.name), "binder": launch_cell.binder_url(path.name)}
        (out / f"{path.stem}.html").write_text(html(export, page, site, source), encoding="utf-8")
        written.append(out / f"{path.stem}.html")
    index = index_notebook(Path(readme).read_text(encoding="utf-8"), names)
    site = {"course": COURSE, "figure_alt": FIGURE_ALT, "binder": launch_cell.binder_url(),
            "next": {"href": f"{paths[0].stem}.html", "title": pages[0].metadata["title"]}}
    (out / "index.html").write_text(html(export, index, site, Path(readme).parent),
                                    encoding="utf-8")
    return [out / "index.html"] + written


if __name__ == "__main__":
    target_folder = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    pages = build(target_folder)
    print(f"site: {len(pages)} pages in {target_folder} (open {target_folder / 'index.html'})")

"""benchmarks/results/: the committed JSON that ``zoo.results`` reads, and
benchmarks/bookkeeping.py, which writes it and reads the tables of the markdown pages."""
import json
import pathlib
import sys

import numpy as onp
import pytest

from mamlkit import zoo

REPO = pathlib.Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO / "benchmarks"))
import bench_meta_gradient
import bookkeeping

TIMING_PAGE = (
    "# Timing\n\nmachine: 2 cores\n\n### 1 inner step\n\n| method | ms (CPU) | × plain gradient |\n"
    "|---|--:|:-:|\n| maml | 12.5 | ×2.1 |\n| fomaml | 5.0 | ×0.9 |\n"
    "| torch.func: maml | 6.0 | |\n\n- a note\n\n"
    "### 5 inner steps\n\n| method | ms (CPU) | × plain gradient |\n|---|---|---|\n"
    "| maml | 50 | n/a |\n")
MEMORY_PAGE = ("# Memory\n\n| inner steps | MAML peak (MB) | iMAML peak (MB) |\n|---|---|---|\n"
               "| 1 | 1.5 | 4.0 |\n| 2 | 2.5 | n/a |\n")


def test_dumps_writes_inf_and_nan_as_null_and_results_reads_null_back_as_inf(tmp_path, monkeypatch):
    diverged = {"mse": float("inf"), "ci95": float("nan")}  # what a diverged fine-tuning gives
    data = {"imaml": {"5": {"10": diverged, "5": {"mse": 1.4e41, "ci95": 2.7e41}}}}
    text = bookkeeping.dumps(data)
    strict = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert strict["imaml"]["5"]["10"] == {"mse": None, "ci95": None}
    assert data["imaml"]["5"]["10"]["mse"] == onp.inf  # the input is not modified
    monkeypatch.setattr(zoo, "RESULTS", tmp_path)
    bookkeeping.write_json(tmp_path / "sinusoid.json", data)
    assert zoo.results("sinusoid") == {"imaml": {5: {10: {"mse": onp.inf, "ci95": onp.inf},
                                                     5: {"mse": 1.4e41, "ci95": 2.7e41}}}}


def test_dumps_reaches_into_nested_lists_and_leaves_finite_values_alone():
    data = {"draws": [0.5, float("-inf"), [float("nan"), 2]], "n": 3, "name": "maml", "none": None,
            "t": (1.5,)}
    assert json.loads(bookkeeping.dumps(data)) == {"draws": [0.5, None, [None, 2]], "n": 3,
                                                   "name": "maml", "none": None, "t": [1.5]}
    assert data["draws"][1] == -onp.inf
    numpy_numbers = {"a": onp.float64(onp.inf), "b": onp.float64(0.25)}
    assert bookkeeping.dumps(numpy_numbers) == '{"a": null, "b": 0.25}'


def test_results_reads_whole_number_keys_as_ints_and_names_its_files(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "RESULTS", tmp_path)
    (tmp_path / "x.json").write_text('{"5": {"10": null, "1": [1.5]}, "maml": {"-1": 2, "1.5": 3}}')
    assert zoo.results("x") == {5: {10: onp.inf, 1: [1.5]}, "maml": {"-1": 2, "1.5": 3}}
    with pytest.raises(FileNotFoundError, match=r"name must be one of \['x'\]"):
        zoo.results("sinusoid")


def test_read_tables_splits_tables_keeps_headings_and_skips_separators():
    tables = bookkeeping.read_tables(TIMING_PAGE)
    assert len(tables) == 2
    assert tables[0]["title"] == "1 inner step" and tables[1]["title"] == "5 inner steps"
    assert tables[0]["header"] == ["method", "ms (CPU)", "× plain gradient"]
    assert tables[0]["rows"] == [["maml", "12.5", "×2.1"], ["fomaml", "5.0", "×0.9"],
                                 ["torch.func: maml", "6.0", ""]]
    assert bookkeeping.read_tables("| a |\n|---|\n| 1 |") == [{"title": "", "header": ["a"],
                                                                "rows": [["1"]]}]


def test_timing_gives_numbers_per_inner_steps_and_method_without_empty_cells():
    assert bookkeeping.timing(TIMING_PAGE) == {
        1: {"maml": {"ms (CPU)": 12.5, "× plain gradient": 2.1},
            "fomaml": {"ms (CPU)": 5.0, "× plain gradient": 0.9},
            "torch.func: maml": {"ms (CPU)": 6.0}},
        5: {"maml": {"ms (CPU)": 50}}}


def test_memory_gives_columns_as_lists():
    assert bookkeeping.memory(MEMORY_PAGE) == {"inner steps": [1, 2], "MAML peak (MB)": [1.5, 2.5],
                                               "iMAML peak (MB)": [4.0, None]}


@pytest.mark.parametrize("cell, value", [
    ("12.5 ms", 12.5), ("×2.1", 2.1), ("0.67 ± 0.02", 0.67), ("1,234", 1234), ("-3e-2", -0.03),
    ("n/a", None), (".5", 0.5), ("−0.5 (a typographic minus)", -0.5), ("0.542–0.620", 0.542),
    ("20", 20),
])
def test_number_reads_the_first_number_of_a_cell(cell, value):
    number = bookkeeping.number(cell)
    assert number == value and type(number) is type(value)


def test_other_draws_reads_the_stored_draws_with_diverged_ones_as_inf():
    mse = {"1": [0.6, 0.7, 0.5], "5": [0.3, None, 0.4], "10": [None, 0.2, 0.3]}
    info = {"other_draws": {"seed_range": [100, 102], "tasks": 600, "mse": mse}}
    draws = bookkeeping.other_draws(info)
    assert list(draws) == [1, 5, 10]
    onp.testing.assert_array_equal(draws[5], [0.3, onp.inf, 0.4])
    assert onp.median(draws[10]) == 0.3 and onp.sum(draws[5] <= 0.38) == 1  # diverged: the worst
    shipped = bookkeeping.other_draws(zoo.load("maml")[2])  # the shipped MAML: 30 draws per step
    assert {steps: v.shape for steps, v in shipped.items()} == {1: (30,), 5: (30,), 10: (30,)}
    with pytest.raises(ValueError, match="the fomaml model has no other draws"):
        bookkeeping.other_draws(zoo.load("fomaml")[2])


def test_the_committed_sinusoid_results_have_the_promised_form():
    text = (RESULTS / "sinusoid.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"sinusoid.json holds {name}"))
    data = zoo.results("sinusoid")
    assert list(data) == ["pretrained", "maml", "maml_alpha_0.001", "fomaml", "reptile", "imaml"]
    for by_k in data.values():
        assert set(by_k) >= {5, 10, 20}
        for k in (5, 10, 20):
            assert set(by_k[k]) >= {0, 1, 5, 10}
            assert not any(e["mse"] < 0 or e["ci95"] < 0 for e in by_k[k].values())  # inf: diverged


def test_meta_gradient_results_reads_the_tables_of_each_configuration():
    headings = bench_meta_gradient.CONFIGURATIONS

    def part(steps, ms):
        return f"### {steps}\n\n| method | ms (CPU) |\n|---|---|\n| maml | {ms} |\n\n"

    page = ("# Timing\n\n## Key ratios\n\n| ratio | default |\n|---|---|\n| x | 1.0 |\n\n"
            f"## {headings['default']}\n\n" + part("1 inner step", 1.5) + part("5 inner steps", 6)
            + f"## {headings['tuned']}\n\n" + part("1 inner step", 1.0))
    assert bench_meta_gradient.results(page) == {
        "default": {1: {"maml": {"ms (CPU)": 1.5}}, 5: {"maml": {"ms (CPU)": 6}}},
        "tuned": {1: {"maml": {"ms (CPU)": 1.0}}}}


@pytest.mark.parametrize("name, parse", [("meta_gradient", bench_meta_gradient.results),
                                         ("memory", bookkeeping.memory)])
def test_the_committed_json_holds_the_numbers_of_its_page(name, parse):
    """The JSON beside a benchmark page is what the benchmark writes: the page's table read by
    bookkeeping, byte for byte."""
    page = (RESULTS / f"{name}.md").read_text()
    assert zoo.results(name) == parse(page)
    expected = bookkeeping.dumps(parse(page), indent=1, ensure_ascii=False) + "\n"
    assert (RESULTS / f"{name}.json").read_text(encoding="utf-8") == expected
    if name == "meta_gradient":
        assert list(zoo.results(name)) == ["default", "tuned"]
        for timing in zoo.results(name).values():
            assert sorted(timing) == [1, 5]
            assert {"ms (CPU)", "× plain gradient (autograd)", "× torch.func"} <= set(
                timing[1]["maml"])
    else:
        assert zoo.results(name)["inner steps"] == list(range(1, 21))


def test_the_published_numbers_are_the_papers():
    published = zoo.results("published")
    assert all(entry["source"] for entry in published.values())
    assert bookkeeping.MAML_SINUSOID_5SHOT == published["maml_sinusoid_5shot"]
    paper = published["maml_sinusoid_5shot"]
    assert paper["maml"] == {1: 0.67, 5: 0.38, 10: 0.35}
    assert paper["pretrained"] == {1: 2.41, 5: 2.23, 10: 2.19}
    few_shot = published["few_shot_classification"]
    assert few_shot["columns"] == ["Omniglot 5-way 1-shot", "Omniglot 20-way 1-shot",
                                   "Mini-ImageNet 5-way 1-shot"]
    assert few_shot["maml"] == [[98.7, 0.4], [95.8, 0.3], [48.70, 1.84]]
    assert few_shot["fomaml"] == [[98.3, 0.5], [89.4, 0.5], [48.07, 1.75]]
    assert few_shot["reptile"] == [[97.68, 0.04], [89.43, 0.14], [49.97, 0.32]]
    assert few_shot["imaml"] == [[99.16, 0.35], [94.46, 0.42], [48.96, 1.84]]
    mini = published["mini_imagenet_5way_5shot"]
    assert mini["maml"] == [63.11, 0.92] and mini["fomaml"] == [63.15, 0.91]
    assert mini["fomaml_time_saved"] == 0.33


@pytest.mark.parametrize("page, alpha, meeting, runaway", [
    ("init_pilot.md", "0.01", {"uniform": (31, 150), "reference": (0, 120)},
     {"uniform": (40, 90000), "reference": (193, 72000)}),
    ("alpha_pilot.md", "0.001", {"uniform": (119, 120), "reference": (7, 120)},
     {"uniform": (0, 72000), "reference": (17, 72000)}),
])
def test_the_committed_pilots_add_up_to_what_the_course_reports(page, alpha, meeting, runaway):
    """benchmarks/results/{init,alpha}_pilot.md (score_draws.py): the per-file rows add up to the
    group rows, every file was fine-tuned at the pilot's rate, and the counts the reproduction
    script's docstring, the README and notebook 06 report still hold. At α = 0.01 the MAML code's
    initialisation met the paper's numbers in fewer (file, draw) pairs than the default (uniform),
    which ships; at the MAML code's default rate 0.001 both do better."""
    by_group, by_file = bookkeeping.read_tables((RESULTS / page).read_text())

    def counts(cell):  # "31 of 150" -> (31, 150)
        hit, total = cell.split(" of ")
        return int(hit), int(total)

    groups = {row[0]: row for row in by_group["rows"]}
    for label, row in groups.items():
        files = [r for r in by_file["rows"] if r[0] == label]
        assert str(len(files)) == row[1]
        for column in (2, 4):  # pairs meeting the paper, runaway tasks
            assert tuple(map(sum, zip(*(counts(r[column]) for r in files)))) == counts(row[column])
        assert all(r[1].split(": ")[1].startswith(f"{label}, seed ") for r in files)
        assert all(r[1].endswith(f", α = {alpha}") for r in files)
    assert {label: counts(row[2]) for label, row in groups.items()} == meeting
    assert {label: counts(row[4]) for label, row in groups.items()} == runaway

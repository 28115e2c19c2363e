"""Reading benchmarks/results/: the sinusoid JSON into dicts and arrays, markdown tables into rows."""
import json
import pathlib

import numpy as onp
import pytest

from mamlkit import results

REPO = pathlib.Path(__file__).resolve().parents[1]


def fake_results(methods=results.METHODS, ks=(5, 10, 20), steps=(0, 1, 5, 10)):
    """A file in the reproduction script's format; mse = 10·(method index + 1) + K + steps/100."""
    return {m: {str(k): {str(s): {"mse": 10.0 * (i + 1) + k + s / 100, "ci95": 0.1 * (i + 1)} for s in steps}
                for k in ks} for i, m in enumerate(methods)}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "sinusoid.json").write_text(json.dumps(fake_results()))
    (tmp_path / "meta_gradient.md").write_text(
        "# Timing\n\nmachine: 2 cores\n\n### 1 inner step\n\n| method | ms (CPU) | × plain gradient |\n|---|--:|:-:|\n"
        "| maml | 12.5 | ×2.1 |\n| fomaml | 5.0 | ×0.9 |\n| torch.func: maml | 6.0 | |\n\n- a note\n\n"
        "### 5 inner steps\n\n| method | ms (CPU) | × plain gradient |\n|---|---|---|\n| maml | 50 | 8.4 |\n")
    (tmp_path / "memory.md").write_text(
        "# Memory\n\n| inner steps | MAML peak (MB) | iMAML peak (MB) |\n|---|---|---|\n| 1 | 1.5 | 4.0 |\n"
        "| 2 | 2.5 | n/a |\n")
    return tmp_path


def test_load_sinusoid_turns_string_keys_into_ints(folder):
    data = results.load_sinusoid(folder)
    assert set(data) == set(results.METHODS)
    assert set(data["maml"]) == {5, 10, 20} and set(data["maml"][5]) == {0, 1, 5, 10}
    assert data["maml"][10][5] == {"mse": 20.0 + 10 + 0.05, "ci95": pytest.approx(0.2)}
    assert results.load_sinusoid(folder / "sinusoid.json") == data  # the file itself works too


def test_sinusoid_arrays_rows_are_methods_columns_are_steps(folder):
    mse, ci = results.sinusoid_arrays(results.load_sinusoid(folder), 5)
    assert mse.shape == ci.shape == (5, 4)
    onp.testing.assert_allclose(mse[1], [25.0, 25.01, 25.05, 25.1])  # maml is row 1
    onp.testing.assert_allclose(ci[:, 0], [0.1, 0.2, 0.3, 0.4, 0.5])
    mse, _ = results.sinusoid_arrays(results.load_sinusoid(folder), 10, methods=("imaml",), steps=(1,))
    assert mse.tolist() == [[60.01]]
    with pytest.raises(ValueError, match="K=7"):
        results.sinusoid_arrays(results.load_sinusoid(folder), 7)


def test_sinusoid_markdown_has_a_cell_per_k_and_step(folder):
    table = results.sinusoid_markdown(results.load_sinusoid(folder), labels={"maml": "MAML"})
    lines = table.splitlines()
    assert len(lines) == 2 + 5
    assert lines[0].count("|") == 1 + 1 + 8 and "K=5, 1 step |" in lines[0] and "K=10, 10 steps" in lines[0]
    assert lines[3].startswith("| MAML | 25.000 ± 0.200 | 25.010 ± 0.200")


def test_missing_file_says_which_script_makes_it(tmp_path):
    with pytest.raises(results.ResultsMissingError, match="reproduce_sinusoid.py"):
        results.load_sinusoid(tmp_path)
    with pytest.raises(results.ResultsMissingError, match="bench_meta_gradient.py"):
        results.load_timing(tmp_path)
    with pytest.raises(results.ResultsMissingError, match="bench_memory.py"):
        results.load_memory(tmp_path / "memory.md")
    assert issubclass(results.ResultsMissingError, FileNotFoundError)


def test_diverged_entries_are_stored_as_null_and_read_back_as_inf(tmp_path):
    data = fake_results()
    data["imaml"]["5"]["10"] = {"mse": float("inf"), "ci95": float("nan")}  # what a diverged fine-tuning gives
    data["imaml"]["5"]["5"] = {"mse": 1.4e41, "ci95": 2.7e41}
    text = results.dumps(data)
    strict = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert strict["imaml"]["5"]["10"] == {"mse": None, "ci95": None} and data["imaml"]["5"]["10"]["mse"] == onp.inf
    (tmp_path / "sinusoid.json").write_text(text)
    loaded = results.load_sinusoid(tmp_path)
    assert loaded["imaml"][5][10] == {"mse": onp.inf, "ci95": onp.inf} and loaded["imaml"][5][5]["mse"] == 1.4e41
    row = results.sinusoid_markdown(loaded, ks=(5,)).splitlines()[-1]
    assert row.endswith("| 1.4e+41 ± 2.7e+41 | diverged |")
    assert results.mse_text(0.6054, 0.0541) == "0.605 ± 0.054"
    assert results.mse_text(0.6054) == "0.605" and results.mse_text(5.1e8) == "5.1e+08"
    assert results.mse_text(float("inf")) == results.mse_text(float("nan"), 0.1) == "diverged"


def test_dumps_reaches_into_nested_lists_and_leaves_finite_values_alone():
    data = {"draws": [0.5, float("-inf"), [float("nan"), 2]], "n": 3, "name": "maml", "none": None, "t": (1.5,)}
    assert json.loads(results.dumps(data)) == {"draws": [0.5, None, [None, 2]], "n": 3, "name": "maml",
                                               "none": None, "t": [1.5]}
    assert data["draws"][1] == -onp.inf  # the input is not modified
    assert results.dumps({"a": onp.float64(onp.inf), "b": onp.float64(0.25)}) == '{"a": null, "b": 0.25}'


def test_read_tables_splits_tables_keeps_headings_and_skips_separators(folder):
    tables = results.load_tables(folder)["meta_gradient"]
    assert len(tables) == 2
    assert tables[0]["title"] == "1 inner step" and tables[1]["title"] == "5 inner steps"
    assert tables[0]["header"] == ["method", "ms (CPU)", "× plain gradient"]
    assert tables[0]["rows"] == [["maml", "12.5", "×2.1"], ["fomaml", "5.0", "×0.9"], ["torch.func: maml", "6.0", ""]]
    assert results.read_tables("| a |\n|---|\n| 1 |") == [{"title": "", "header": ["a"], "rows": [["1"]]}]


def test_load_timing_gives_numbers_per_inner_steps_and_method(folder):
    timing = results.load_timing(folder)
    assert set(timing) == {1, 5}
    assert timing[1]["maml"] == {"ms (CPU)": 12.5, "× plain gradient": 2.1}
    assert timing[1]["torch.func: maml"]["× plain gradient"] is None
    assert timing[5]["maml"]["× plain gradient"] == 8.4


def test_load_memory_gives_columns_as_arrays(folder):
    memory = results.load_memory(folder)
    onp.testing.assert_array_equal(memory["inner steps"], [1, 2])
    onp.testing.assert_array_equal(memory["MAML peak (MB)"], [1.5, 2.5])
    assert memory["iMAML peak (MB)"][0] == 4.0 and onp.isnan(memory["iMAML peak (MB)"][1])


@pytest.mark.parametrize("cell, value", [("12.5 ms", 12.5), ("×2.1", 2.1), ("0.67 ± 0.02", 0.67),
                                         ("1,234", 1234.0), ("-3e-2", -0.03), ("n/a", None), (".5", 0.5),
                                         ("−0.5 (a typographic minus)", -0.5), ("0.542–0.620", 0.542)])
def test_number_reads_the_first_number_of_a_cell(cell, value):
    assert results.number(cell) == value


def test_results_dir_defaults_to_the_repository_then_the_working_directory(tmp_path, monkeypatch):
    assert results.results_dir() == REPO / "benchmarks" / "results"
    assert results.results_dir(tmp_path) == tmp_path
    # Without a repository next to the package, the working directory or a parent of it is searched.
    monkeypatch.setattr(results, "__file__", str(tmp_path / "site-packages" / "mamlkit" / "results.py"))
    (tmp_path / "course" / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "course" / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "course" / "notebooks")
    assert results.results_dir() == (tmp_path / "course" / "benchmarks" / "results").resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(results.ResultsMissingError, match="path="):
        results.results_dir()


def test_the_committed_sinusoid_results_have_the_promised_form():
    file = REPO / "benchmarks" / "results" / "sinusoid.json"
    if not file.exists():
        pytest.skip("benchmarks/results/sinusoid.json not produced yet (benchmarks/reproduce_sinusoid.py)")
    json.loads(file.read_text(), parse_constant=lambda name: pytest.fail(f"sinusoid.json holds {name}: not JSON"))
    data = results.load_sinusoid()
    assert not set(results.METHODS) - set(data), f"methods missing from sinusoid.json: {set(results.METHODS) - set(data)}"
    for m in results.METHODS:
        assert set(data[m]) >= {5, 10, 20}
        for k in (5, 10, 20):
            assert set(data[m][k]) >= {0, 1, 5, 10}
            assert not any(e["mse"] < 0 or e["ci95"] < 0 for e in data[m][k].values())  # inf: diverged


@pytest.mark.parametrize("page, alpha, meeting, runaway", [
    ("init_pilot.md", "0.01", {"uniform": (31, 150), "reference": (0, 120)},
     {"uniform": (40, 90000), "reference": (193, 72000)}),
    ("alpha_pilot.md", "0.001", {"uniform": (119, 120), "reference": (7, 120)},
     {"uniform": (0, 72000), "reference": (17, 72000)}),
])
def test_the_committed_pilots_add_up_to_what_the_course_reports(page, alpha, meeting, runaway):
    """benchmarks/results/{init,alpha}_pilot.md (score_draws.py): the per-file rows add up to the group rows, every
    file was fine-tuned at the pilot's rate, and the counts the reproduction script's docstring, the README and
    notebook 06 report still hold. At α = 0.01 the MAML code's initialisation met the paper's numbers in fewer
    (file, draw) pairs than the default (uniform), which ships; at the MAML code's default rate 0.001 both do better."""
    by_group, by_file = results.read_tables((REPO / "benchmarks" / "results" / page).read_text())

    def counts(cell):  # "31 of 150" -> (31, 150)
        hit, total = cell.split(" of ")
        return int(hit), int(total)

    groups = {row[0]: row for row in by_group["rows"]}
    for label, row in groups.items():
        files = [r for r in by_file["rows"] if r[0] == label]
        assert str(len(files)) == row[1]
        for column in (2, 4):  # pairs meeting the paper, runaway tasks
            assert tuple(map(sum, zip(*(counts(r[column]) for r in files)))) == counts(row[column])
        assert all(r[1].split(": ")[1].startswith(f"{label}, seed ") for r in files)  # grouped by initialisation
        assert all(r[1].endswith(f", α = {alpha}") for r in files)
    assert {label: counts(row[2]) for label, row in groups.items()} == meeting
    assert {label: counts(row[4]) for label, row in groups.items()} == runaway

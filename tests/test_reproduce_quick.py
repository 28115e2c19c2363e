"""benchmarks/reproduce_sinusoid.py --quick: a smoke run of the whole reproduction pipeline into a temporary folder.

The full run (70,000 meta-iterations per method) is a benchmark, not a test. The quick run trains every method
for a few iterations, evaluates on a few held-out tasks, and must write the results and weights only where it
is told (--out, --weights-dir): never over the shipped weights or the committed results.
"""
import hashlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mamlkit import evaluate, tasks, zoo

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "reproduce_sinusoid.py"
METHODS = ["pretrained", "maml", "fomaml", "reptile", "imaml"]


def fingerprints():
    """{path: sha256} of the shipped weights and the committed results."""
    files = sorted(zoo.WEIGHTS.glob("*.npz")) + sorted((ROOT / "benchmarks" / "results").glob("*"))
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.is_file()}


def test_quick_run_writes_results_and_weights_only_where_told(tmp_path):
    before = fingerprints()
    out, weights = tmp_path / "results", tmp_path / "weights"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--iterations", "30", "--n-tasks", "20",
         "--out", str(out), "--weights-dir", str(weights)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert fingerprints() == before

    results = json.loads((out / "sinusoid.json").read_text())
    assert list(results) == METHODS
    for method in METHODS:
        assert sorted(results[method], key=int) == ["5", "10", "20"]
        for by_steps in results[method].values():
            assert sorted(by_steps, key=int) == ["0", "1", "5", "10"]
            for entry in by_steps.values():
                assert np.isfinite(entry["mse"]) and entry["mse"] >= 0
                assert np.isfinite(entry["ci95"]) and entry["ci95"] >= 0
    page = (out / "sinusoid.md").read_text()
    assert "QUICK SMOKE RUN" in page and "| maml |" in page and "0.67" in page  # beside the paper's numbers

    for method in METHODS:
        model, theta, info = zoo.load(method, directory=weights)
        assert theta.shape == (1761,) and np.all(np.isfinite(theta))
        assert model.sizes == (1, 40, 40, 1) and model.activation == ("tanh" if method == "imaml" else "relu")
        assert info["script"] == "benchmarks/reproduce_sinusoid.py"
        # the shipped θ is the checkpoint with the best validation score; the info says which and how it scored
        assert info["iterations_planned"] == 30 and info["iterations_run"] <= 30
        scores = dict(info["validation"]["scores"])
        assert info["iterations"] in scores and scores[info["iterations"]] == info["validation"]["score"]
        assert info["validation"]["score"] == min(v for v in scores.values() if v is not None)
        assert info["iterations_run"] in scores and info["last_iterate"]["iteration"] == info["iterations_run"]
    assert "### Checkpoint selection" in page
    # the methods with published numbers are also scored on other draws of the 5-shot test tasks
    for method in METHODS:
        draws = zoo.load(method, directory=weights)[2].get("other_draws")
        if method in ("pretrained", "maml"):
            assert draws["seed_range"] == [100, 102] and draws["tasks"] == 20
            assert sorted(draws["mse"], key=int) == ["1", "5", "10"]
            assert all(len(values) == 3 for values in draws["mse"].values())
        else:
            assert draws is None
    assert "### How far one draw of test tasks moves" in page and "| maml | 5 | 0.38 |" in page
    # every method is also scored on the paper's own test tasks (the first 20 of them here), K query points each
    for method in METHODS:
        model, theta, info = zoo.load(method, directory=weights)
        scores = info["paper_tasks"]
        assert scores["tasks"] == 20 and scores["seed"] == 1
        assert sorted(scores["mse"], key=int) == sorted(scores["median"], key=int) == ["5", "10", "20"]
        for shots in ("5", "20"):
            paper_tasks = tasks.Sinusoid().reference_heldout(20, int(shots))
            with np.errstate(all="ignore"):
                curve = evaluate.adaptation_curve(model.loss, theta, paper_tasks, 0.01, 10)
            for steps in ("0", "1", "10"):
                np.testing.assert_allclose(scores["mse"][shots][steps]["mse"], curve[:, int(steps)].mean(), rtol=1e-12)
                np.testing.assert_allclose(scores["median"][shots][steps], np.median(curve[:, int(steps)]),
                                           rtol=1e-12)
    assert "### On the paper's own test tasks" in page and "first 20 of" in page


def test_partial_runs_say_which_results_are_their_own(tmp_path):
    """--methods trains only those; a later partial run into the same folder keeps the earlier results and says so."""
    def run(method, seed, *options):
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10", "--jobs", "1",
             "--methods", method, "--init-seed", str(seed), "--out", str(tmp_path), "--weights-dir", str(tmp_path),
             *options],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return (tmp_path / "sinusoid.md").read_text()

    page = run("maml", 3)
    assert "1 worker process for maml only." in page and "earlier run" not in page
    assert "(uniform initialisation `MLP.init`, seed 3; training tasks from streams spawned by SeedSequence(3)" in page
    assert "- **maml**:" in page and "- **fomaml**:" not in page  # the settings of what was run, nothing else
    page = run("fomaml", 3, "--init", "reference")
    assert "for fomaml only; the results and times of maml come from an earlier run" in page
    assert "(reference initialisation `MLP.init`, seed 3;" in page
    assert "- **maml**:" in page and "- **fomaml**:" in page and "- **reptile**:" not in page
    assert list(json.loads((tmp_path / "sinusoid.json").read_text())) == ["maml", "fomaml"]
    assert zoo.load("maml", directory=tmp_path)[2]["init_seed"] == 3
    # --init reaches MLP.init: 10 Adam steps of 1e-3 move each entry by at most about 0.01, so the MAML code's
    # weights (|w| ≤ 0.02, biases 0) stay small, while the uniform first layer reaches towards ±1
    _, uniform, info = zoo.load("maml", directory=tmp_path)
    assert info["model"]["init"] == "uniform" and np.abs(uniform).max() > 0.5
    _, reference, info = zoo.load("fomaml", directory=tmp_path)
    assert info["model"]["init"] == "reference" and np.abs(reference).max() < 0.05


def test_alpha_sets_the_inner_rate_and_every_fine_tuning_step(tmp_path):
    """--alpha reaches MAML's inner step and the evaluation; a partial rerun at another rate into the same folder is
    refused before it trains anything, since one page cannot hold two evaluations."""
    command = [sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10", "--jobs", "1",
               "--out", str(tmp_path), "--weights-dir", str(tmp_path)]
    proc = subprocess.run(command + ["--methods", "maml", "--alpha", "0.001"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    model, theta, info = zoo.load("maml", directory=tmp_path)
    assert info["hyper"]["lr"] == info["inner_lr"] == info["finetune_lr"] == 0.001
    page = (tmp_path / "sinusoid.md").read_text()
    assert "inner: lr=0.001, steps=1" in page and "plain gradient steps of rate 0.001 " in page
    with np.errstate(all="ignore"):
        curve = evaluate.adaptation_curve(model.loss, theta, tasks.Sinusoid().reference_heldout(10, 5), 0.001, 10)
    for steps in ("1", "10"):
        np.testing.assert_allclose(info["paper_tasks"]["mse"]["5"][steps]["mse"], curve[:, int(steps)].mean(),
                                   rtol=1e-12)

    proc = subprocess.run(command + ["--methods", "fomaml"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert f"--alpha is 0.01 but the results kept in {tmp_path} were fine-tuned at α = 0.001" in proc.stderr
    assert not (tmp_path / "fomaml.npz").exists()


@pytest.mark.parametrize("value", ["0", "-0.01", "nan", "inf"])
def test_an_alpha_that_is_not_a_positive_number_is_refused(value, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid

    with pytest.raises(SystemExit) as exit_info:
        reproduce_sinusoid.main(["--alpha", value, "--out", "/nonexistent", "--weights-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    assert f"--alpha must be a finite number > 0, got {float(value)}" in capsys.readouterr().err


def test_imaml_damping_reaches_training(tmp_path):
    """--imaml-damping RHO LAM_D is in iMAML's hyperparameters (so in meta_value_and_gradient's system), its weight
    file's info and the page; without it the hyperparameters carry no damping (the exact iMAML gradient)."""
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10", "--jobs",
                           "1", "--methods", "imaml", "--imaml-damping", "1", "10", "--out", str(tmp_path),
                           "--weights-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    info = zoo.load("imaml", directory=tmp_path)[2]
    assert info["hyper"]["cg_damping"] == 1.0 and info["hyper"]["lam_damping"] == 10.0
    assert "cg_steps=5, cg_damping=1.0, lam_damping=10.0" in (tmp_path / "sinusoid.md").read_text()
    assert "cg_damping" not in zoo.load("imaml")[2]["hyper"]


@pytest.mark.parametrize("values", [["-1", "10"], ["1", "nan"], ["inf", "0"]])
def test_an_imaml_damping_that_is_negative_or_not_finite_is_refused(values, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid

    with pytest.raises(SystemExit) as exit_info:
        reproduce_sinusoid.main(["--imaml-damping", *values, "--out", "/nonexistent", "--weights-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    assert ("--imaml-damping takes two finite numbers >= 0, got " + " ".join(str(float(v)) for v in values)
            in capsys.readouterr().err)


@pytest.mark.parametrize("option", ["--iterations", "--n-tasks", "--draws"])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_counts_below_one_are_refused_by_name(option, value, capsys, monkeypatch):
    """A count of 0 or less is an error that names the option, never a silent fall back to the default."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid

    with pytest.raises(SystemExit) as exit_info:
        reproduce_sinusoid.main([option, value, "--out", "/nonexistent", "--weights-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    assert f"{option} must be a positive whole number, got {value}" in capsys.readouterr().err


def test_no_training_stream_draws_an_evaluation_task(monkeypatch):
    """The first tasks of every training stream (seeds 0–4, all 100 pieces of an annealed run) differ from the first
    tasks of every seed that draws evaluation tasks: test (1), validation (2), extra draws (100–129), score_draws.py's
    fresh draws (1000–1029). With plain
    integer seeds init_seed + 1 + piece, as before, test task 0 was the first training task of every method."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid
    import score_draws

    family = tasks.Sinusoid()
    draws, fresh = reproduce_sinusoid.DRAWS, score_draws.FRESH
    evaluation_seeds = [reproduce_sinusoid.EVAL["seed"], reproduce_sinusoid.VALIDATION["seed"],
                        *range(draws["first_seed"], draws["first_seed"] + draws["n_draws"]),
                        *range(fresh["first_seed"], fresh["first_seed"] + fresh["draws"])]
    evaluation = {family.sample_params(np.random.default_rng(seed)) for seed in evaluation_seeds}
    training = {family.sample_params(np.random.default_rng(stream))
                for init_seed in range(5) for stream in reproduce_sinusoid.training_streams(init_seed, 100)}
    assert len(training) == 500 and not training & evaluation
    old_scheme = {family.sample_params(np.random.default_rng(init_seed + 1 + piece))
                  for init_seed in range(5) for piece in range(100)}
    assert old_scheme & evaluation  # the collision this guards against


def test_a_diverged_mean_is_shown_as_infinity(monkeypatch):
    """A task that ran away makes the mean huge (finite, or inf, or null once stored): the tables say ∞, not 20 digits."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid

    assert reproduce_sinusoid._entry({"mse": 0.6123, "ci95": 0.0561}) == "0.612 ± 0.056"
    for diverged in (5.5e19, float("inf"), float("nan"), None):
        assert reproduce_sinusoid._entry({"mse": diverged, "ci95": None}) == "∞"

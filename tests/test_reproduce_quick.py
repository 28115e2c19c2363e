"""benchmarks/reproduce_sinusoid.py --quick: a smoke run of the whole reproduction pipeline into a
temporary folder, and iMAML's positive-definiteness guard.

The full run (70,000 meta-iterations per method) is a benchmark, not a test. The quick run trains
every method for a few iterations, evaluates on a few held-out tasks, and must write the results
and weights only where it is told (--out, --weights-dir): never over the shipped weights or the
committed results.
"""
import hashlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mamlkit import NotPositiveDefiniteError, evaluate, meta_value_and_gradient, tasks, zoo
from mamlkit.spectrum import extreme_eigenvalues

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "reproduce_sinusoid.py"
METHODS = ["pretrained", "maml", "fomaml", "reptile", "imaml"]


@pytest.fixture
def script(monkeypatch):
    """The reproduction script as a module."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import reproduce_sinusoid

    return reproduce_sinusoid


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
    assert "QUICK SMOKE RUN" in page and "| maml |" in page and "0.67" in page  # beside the paper

    for method in METHODS:
        model, theta, info = zoo.load(method, directory=weights)
        assert theta.shape == (1761,) and np.all(np.isfinite(theta))
        assert model.sizes == (1, 40, 40, 1)
        assert model.activation == ("tanh" if method == "imaml" else "relu")
        assert info["script"] == "benchmarks/reproduce_sinusoid.py"
        # the shipped θ is the checkpoint with the best validation score; the info says which
        assert info["iterations_planned"] == 30 and info["iterations_run"] <= 30
        scores = dict(info["validation"]["scores"])
        assert info["iterations"] in scores
        assert scores[info["iterations"]] == info["validation"]["score"]
        assert info["validation"]["score"] == min(v for v in scores.values() if v is not None)
        assert info["iterations_run"] in scores
        assert info["last_iterate"]["iteration"] == info["iterations_run"]
    assert "### Checkpoint selection" in page
    # iMAML's redrawn batches are counted by cause, and the guard is in its settings
    info = zoo.load("imaml", directory=weights)[2]
    assert info["guard_cg_steps"] == 20
    assert sorted(info["redrawn_by"]) == ["cg", "guard", "not finite"]
    assert sum(info["redrawn_by"].values()) == info["batches_redrawn"]
    assert "guard: 20 CG steps" in page and "iMAML batches redrawn" in page
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
    # every method is also scored on the paper's own test tasks (the first 20 of them here), K query
    # points each
    for method in METHODS:
        model, theta, info = zoo.load(method, directory=weights)
        scores = info["paper_tasks"]
        assert scores["tasks"] == 20 and scores["seed"] == 1
        assert sorted(scores["mse"], key=int) == sorted(scores["median"], key=int)
        assert sorted(scores["mse"], key=int) == ["5", "10", "20"]
        for shots in ("5", "20"):
            paper_tasks = tasks.Sinusoid().reference_heldout(20, int(shots))
            with np.errstate(all="ignore"):
                curve = evaluate.adaptation_curve(model.loss, theta, paper_tasks, 0.01, 10)
            for steps in ("0", "1", "10"):
                np.testing.assert_allclose(scores["mse"][shots][steps]["mse"],
                                           curve[:, int(steps)].mean(), rtol=1e-12)
                np.testing.assert_allclose(scores["median"][shots][steps],
                                           np.median(curve[:, int(steps)]), rtol=1e-12)
    assert "### On the paper's own test tasks" in page and "first 20 of" in page


def test_partial_runs_say_which_results_are_their_own(tmp_path):
    """--methods trains only those; a later partial run into the same folder keeps the earlier
    results and says so."""
    def run(method, seed):
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10",
             "--jobs", "1", "--methods", method, "--init-seed", str(seed), "--out", str(tmp_path),
             "--weights-dir", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return (tmp_path / "sinusoid.md").read_text()

    page = run("maml", 3)
    assert "1 worker process for maml only." in page and "earlier run" not in page
    assert ("(PyTorch's initialisation `MLP.init` from seed 3; training tasks from streams spawned "
            "by SeedSequence(3)") in page
    assert "- **maml**:" in page and "- **fomaml**:" not in page  # the settings of what was run
    page = run("fomaml", 4)
    assert "for fomaml only; the results and times of maml come from an earlier run" in page
    assert "- **maml**:" in page and "- **fomaml**:" in page and "- **reptile**:" not in page
    assert list(json.loads((tmp_path / "sinusoid.json").read_text())) == ["maml", "fomaml"]
    assert zoo.load("maml", directory=tmp_path)[2]["init_seed"] == 3
    assert zoo.load("fomaml", directory=tmp_path)[2]["init_seed"] == 4


def test_alpha_sets_the_inner_rate_and_every_fine_tuning_step(tmp_path):
    """--alpha reaches MAML's inner step and the evaluation; a partial rerun at another rate into
    the same folder is refused before it trains anything, since one page cannot hold two
    evaluations."""
    command = [sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10",
               "--jobs", "1", "--out", str(tmp_path), "--weights-dir", str(tmp_path)]
    proc = subprocess.run(command + ["--methods", "maml", "--alpha", "0.001"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    model, theta, info = zoo.load("maml", directory=tmp_path)
    assert info["hyper"]["lr"] == info["inner_lr"] == info["finetune_lr"] == 0.001
    page = (tmp_path / "sinusoid.md").read_text()
    assert "inner: lr=0.001, steps=1" in page and "plain gradient steps of rate 0.001 " in page
    with np.errstate(all="ignore"):
        curve = evaluate.adaptation_curve(model.loss, theta,
                                          tasks.Sinusoid().reference_heldout(10, 5), 0.001, 10)
    for steps in ("1", "10"):
        np.testing.assert_allclose(info["paper_tasks"]["mse"]["5"][steps]["mse"],
                                   curve[:, int(steps)].mean(), rtol=1e-12)

    proc = subprocess.run(command + ["--methods", "fomaml"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2
    assert (f"--alpha is 0.01 but the results kept in {tmp_path} were fine-tuned at α = 0.001"
            in proc.stderr)
    assert not (tmp_path / "fomaml.npz").exists()


@pytest.mark.parametrize("value", ["0", "-0.01", "nan", "inf"])
def test_an_alpha_that_is_not_a_positive_number_is_refused(value, capsys, script):
    with pytest.raises(SystemExit) as exit_info:
        script.main(["--alpha", value, "--out", "/nonexistent", "--weights-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    assert f"--alpha must be a finite number > 0, got {float(value)}" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--iterations", "--n-tasks", "--draws"])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_counts_below_one_are_refused_by_name(option, value, capsys, script):
    """A count of 0 or less is an error that names the option, never a silent fall back to the
    default."""
    with pytest.raises(SystemExit) as exit_info:
        script.main([option, value, "--out", "/nonexistent", "--weights-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    assert f"{option} must be a positive whole number, got {value}" in capsys.readouterr().err


def test_the_guard_rejects_an_indefinite_system_that_five_cg_steps_accept(script):
    """The shipped iMAML network on a training-like task, with no inner steps (φ* = θ, so H is
    fixed) and λ = 0.9·(−λ_min(H)): I + H/λ has the eigenvalue 1 − 1/0.9 < 0. The gradient's 5 CG
    steps meet no direction with pᵀAp ≤ 0; the guard's 20 steps on the same system do, and the
    batch is redrawn."""
    model, theta, _ = zoo.load("imaml")
    task = tasks.Sinusoid().sample_batch(np.random.default_rng(17), 1, 10, 10)[0]
    lam_min = extreme_eigenvalues(model.loss, theta, task.train, k=1, which="SA")[0]
    inner = {"lr": 0.005, "steps": 0, "lam": 0.9 * -lam_min, "cg_steps": 5}
    assert lam_min < -inner["lam"] < 0  # indefinite
    value, grad = meta_value_and_gradient("imaml", model.loss, theta, [task], **inner)  # passes
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert script.imaml_batch(model.loss, theta, [task], inner) == (None, None, "guard")
    with pytest.raises(NotPositiveDefiniteError):  # what the guard runs
        meta_value_and_gradient("imaml", model.loss, theta, [task], **dict(inner, cg_steps=20))


def test_an_accepted_batch_gets_the_five_step_gradient(script):
    """On a positive definite batch (the shipped network, the training's settings) the guard
    changes nothing: the gradient is that of the 5 CG steps, to the last bit."""
    model, theta, _ = zoo.load("imaml")
    batch = tasks.Sinusoid().sample_batch(np.random.default_rng(3), 25, 10, 10)
    inner = script.SETTINGS["imaml"][3]
    value, grad, cause = script.imaml_batch(model.loss, theta, batch, inner)
    assert cause is None
    expected = meta_value_and_gradient("imaml", model.loss, theta, batch, **inner)
    assert value == expected[0] and np.array_equal(grad, expected[1])


def test_a_batch_whose_proximal_loop_overflows_is_redrawn_as_not_finite(script):
    """200 proximal steps of rate 1 with λ = 50 multiply φ − θ by about −49 each: φ* overflows,
    and so does the right-hand side ∇L(φ*; D_te), which conjugate gradient refuses."""
    model, theta, _ = zoo.load("imaml")
    batch = tasks.Sinusoid().sample_batch(np.random.default_rng(3), 5, 10, 10)
    inner = {"lr": 1.0, "steps": 200, "lam": 50.0, "cg_steps": 5}
    with np.errstate(all="ignore"):
        assert script.imaml_batch(model.loss, theta, batch, inner) == (None, None, "not finite")


def test_no_training_stream_draws_an_evaluation_task(script):
    """The first tasks of every training stream (seeds 0–4, all 100 pieces of an annealed run)
    differ from the first tasks of every seed that draws evaluation tasks: test (1), validation
    (2), extra draws (100–129), score_draws.py's fresh draws (1000–1029). With plain integer seeds
    init_seed + 1 + piece, as before, test task 0 was the first training task of every method."""
    import score_draws

    family = tasks.Sinusoid()
    draws, fresh = script.DRAWS, score_draws.FRESH
    evaluation_seeds = [script.EVAL["seed"], script.VALIDATION["seed"],
                        *range(draws["first_seed"], draws["first_seed"] + draws["n_draws"]),
                        *range(fresh["first_seed"], fresh["first_seed"] + fresh["draws"])]
    evaluation = {family.sample_params(np.random.default_rng(seed)) for seed in evaluation_seeds}
    training = {family.sample_params(np.random.default_rng(stream))
                for init_seed in range(5) for stream in script.training_streams(init_seed, 100)}
    assert len(training) == 500 and not training & evaluation
    old_scheme = {family.sample_params(np.random.default_rng(init_seed + 1 + piece))
                  for init_seed in range(5) for piece in range(100)}
    assert old_scheme & evaluation  # the collision this guards against


def test_a_diverged_mean_is_shown_as_infinity(script):
    """A task that ran away makes the mean huge (finite, or inf, or null once stored): the tables
    say ∞, not 20 digits."""
    assert script._entry({"mse": 0.6123, "ci95": 0.0561}) == "0.612 ± 0.056"
    for diverged in (5.5e19, float("inf"), float("nan"), None):
        assert script._entry({"mse": diverged, "ci95": None}) == "∞"


def test_key_stores_a_variant_beside_its_method(tmp_path):
    """--key stores one method's run under its own key (results in sinusoid.json, weights in
    --variant-dir), fine-tuned at its own rate, without touching the method's own results or
    weights; a later partial run keeps both; a key that is not a variant of the method is
    refused."""
    variants = tmp_path / "variants"

    def run(*extra):
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--quick", "--iterations", "10", "--n-tasks", "10",
             "--jobs", "1", "--out", str(tmp_path), "--weights-dir", str(tmp_path),
             "--variant-dir", str(variants), *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=600)

    proc = run("--methods", "maml")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shipped = hashlib.sha256((tmp_path / "maml.npz").read_bytes()).hexdigest()
    proc = run("--methods", "maml", "--alpha", "0.001", "--key", "maml_alpha_0.001")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert hashlib.sha256((tmp_path / "maml.npz").read_bytes()).hexdigest() == shipped
    assert not (tmp_path / "maml_alpha_0.001.npz").exists()
    info = zoo.load("maml_alpha_0.001", directory=variants)[2]
    assert info["inner_lr"] == info["finetune_lr"] == 0.001
    assert info["results_key"] == "maml_alpha_0.001" and "other_draws" in info
    results = json.loads((tmp_path / "sinusoid.json").read_text())
    assert list(results) == ["maml", "maml_alpha_0.001"]
    page = (tmp_path / "sinusoid.md").read_text()
    assert "- **maml**:" in page and "inner: lr=0.01, steps=1" in page  # the kept run's settings
    assert "- **maml_alpha_0.001**:" in page and "inner: lr=0.001, steps=1" in page
    assert "plain gradient steps of rate 0.01 " in page
    assert "rate 0.001 for maml_alpha_0.001, the rate it was trained with" in page
    assert "| maml_alpha_0.001 | 5 | 0.38 |" in page  # beside the paper in the draws table too

    proc = run("--methods", "fomaml")  # at 0.01: the variant's own rate is no conflict
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert list(json.loads((tmp_path / "sinusoid.json").read_text())) == [
        "maml", "maml_alpha_0.001", "fomaml"]

    for extra in (["--methods", "maml", "--key", "fomaml_x"], ["--methods", "maml", "--key", "maml"],
                  ["--methods", "maml", "fomaml", "--key", "maml_x"]):
        proc = run(*extra)
        assert proc.returncode == 2 and "--key" in proc.stderr, extra

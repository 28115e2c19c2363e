"""benchmarks/score_draws.py on a few small draws: its counts agree with scoring the tasks
directly."""
import pathlib
import subprocess
import sys

import numpy as np

from mamlkit import evaluate, tasks, zoo

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "score_draws.py"


def test_score_draws_counts_what_direct_scoring_counts(tmp_path):
    """Each file is fine-tuned at its own rate: the shipped ones at the paper's 0.01 (the default
    when a file's info predates ``finetune_lr``), a copy of MAML's weights that says it was
    evaluated at 0.001 at that rate."""
    maml, pretrained = zoo.WEIGHTS / "maml.npz", zoo.WEIGHTS / "pretrained.npz"
    model, theta, info = zoo.load("maml")
    slow = tmp_path / "slow" / "maml.npz"
    zoo.save("maml", model, theta, dict(info, finetune_lr=0.001), directory=slow.parent)
    out = tmp_path / "draws.md"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), f"a={maml}", f"b={pretrained}", f"b={maml}", f"c={slow}",
         "--draws", "3", "--first-seed", "7", "--n-tasks", "40", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    page = out.read_text()
    by_group, by_file = page.split("\n\n")[-2:]  # two tables: one row per group, then one per file
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")
            for line in by_group.splitlines()[2:]}
    assert "(seeds 7–9)" in page and sorted(rows) == ["a", "b", "c"]
    files = [line.split(" | ")[:2] for line in by_file.splitlines()[2:]]
    made = {name: "{}.npz: {}, seed {}, {}, α = ".format(name, info["model"]["init"],
                                                        info["init_seed"], info["iterations"])
            for name, info in ((name, zoo.load(name)[2]) for name in ("maml", "pretrained"))}
    assert files == [["| a", made["maml"] + "0.01"], ["| b", made["pretrained"] + "0.01"],
                     ["| b", made["maml"] + "0.01"], ["| c", made["maml"] + "0.001"]]

    def direct(name, lr=0.01):
        model, theta, _ = zoo.load(name)
        means, runaway = [], 0
        for seed in (7, 8, 9):
            with np.errstate(all="ignore"):
                heldout = tasks.Sinusoid().heldout(40, 5, 100, seed)
                curves = evaluate.adaptation_curve(model.loss, theta, heldout, lr, 10)
            means.append(curves[:, [1, 5, 10]].mean(axis=0))
            runaway += len(evaluate.runaway(curves, tasks.Sinusoid().zero_error_bound))
        return np.array(means), runaway

    paper = np.array([0.67, 0.38, 0.35])
    scored = {"a": [direct("maml")], "b": [direct("pretrained"), direct("maml")],
              "c": [direct("maml", 0.001)]}
    for label, parts in scored.items():
        means = np.concatenate([m for m, _ in parts])
        meets = int(np.all(means <= paper, axis=1).sum())
        median = " / ".join(f"{v:.3f}" for v in np.median(means, axis=0))
        assert rows[label][1] == str(len(parts))
        assert rows[label][2] == f"{meets} of {len(means)}"
        assert rows[label][3] == median
        assert rows[label][4].strip(" |") == f"{sum(r for _, r in parts)} of {len(means) * 40}"


def test_a_median_of_a_million_or_more_shows_as_infinite(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import score_draws

    means = np.array([[0.5, 0.3, 0.2], [0.6, 5e5, np.inf], [0.7, 3e6, np.inf]])
    assert score_draws.cells(means, 4, 600) == "1 of 3 | 0.600 / 500000.000 / ∞ | 4 of 1800"
    assert score_draws.cells(means[1:], 0, 600) == "0 of 2 | 0.650 / ∞ / ∞ | 0 of 1200"


def test_score_draws_rejects_a_missing_file(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), f"a={tmp_path / 'nothing.npz'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "LABEL=FILE.npz with an existing file" in proc.stderr

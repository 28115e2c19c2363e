"""Train the two sinusoid models the first notebooks ship with: the jointly trained "pretrained" baseline and MAML.

Setup (MAML paper §5.1): tasks y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5]; an MLP 1-40-40-1 ReLU;
K = 10 support + 10 query points per task, 25 tasks per meta-batch, Adam with rate 1e-3.

* pretrained: θ ← Adam(θ, (1/B) Σ_i ∇L_i(θ; D_i)), joint training on all of each task's 20 points, no adaptation.
* MAML:       θ ← Adam(θ, (1/B) Σ_i ∇_θ L_i(θ − α∇L_i(θ; D_tr); D_te)), one inner step with α = 0.01.

Both start from the same seeded initialisation and are saved with ``mamlkit.zoo.save`` together with an ``info``
dict (iterations, seeds, hyperparameters, wall time, date, this script's name) that the notebooks read to say how
the shipped models were made. The paper trains for 70,000 iterations; the default here is a shorter run, 20,000
(under 5 minutes with the vectorised meta-gradient); benchmarks/reproduce_sinusoid.py overwrites these files with
the full-length run. The script fails if MAML does not beat the baseline after one step on held-out 5-shot tasks.

    python benchmarks/train_course_models.py [--iterations 20000] [--seed 0]
"""
import argparse
import datetime
import pathlib
import time

import numpy as onp

from mamlkit import evaluate, meta_train, models, tasks, zoo

SCRIPT = f"benchmarks/{pathlib.Path(__file__).name}"
HYPER = {"k_support": 10, "k_query": 10, "meta_batch": 25, "meta_lr": 1e-3, "optimizer": "adam"}
METHODS = {"pretrained": ("pretrain", {}), "maml": ("maml", {"lr": 0.01, "steps": 1})}


def train(name, iterations, seed):
    """Meta-train one model from the seeded initialisation; returns (model, θ, info)."""
    method, inner = METHODS[name]
    model = models.MLP((1, 40, 40, 1), "relu")
    theta0 = model.init(onp.random.default_rng(seed))
    family = tasks.Sinusoid()
    start, cpu = time.perf_counter(), time.process_time()
    theta, history = meta_train(method, model.loss, theta0, family.sampler(HYPER["k_support"], HYPER["k_query"]),
                                iterations, HYPER["meta_batch"], HYPER["meta_lr"], optimizer=HYPER["optimizer"],
                                seed=seed + 1, **inner)
    info = {
        "method": method, "iterations": iterations, "init_seed": seed, "task_seed": seed + 1,
        "model": {"sizes": list(model.sizes), "activation": model.activation},
        "inner_lr": inner.get("lr"), "inner_steps": inner.get("steps", 0), **HYPER,
        "final_loss_mean_last_100": float(onp.mean(history.loss[-100:])),
        "wall_time_s": round(time.perf_counter() - start, 1), "cpu_time_s": round(time.process_time() - cpu, 1),
        "date": datetime.date.today().isoformat(), "script": SCRIPT,
    }
    return model, theta, info


def one_step_mse(model, theta, n_tasks=600):
    """Mean query MSE after one SGD step (α = 0.01) on K = 5 support points, over the seeded held-out tasks."""
    curves = evaluate.adaptation_curve(model.loss, theta, tasks.Sinusoid().heldout(n_tasks, 5, 100, seed=1),
                                       0.01, max_steps=1)
    return curves[:, 1].mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scores = {}
    for name in METHODS:
        model, theta, info = train(name, args.iterations, args.seed)
        zoo.save(name, model, theta, info)
        scores[name] = one_step_mse(model, theta)
        print(f"{name}: {info['wall_time_s']} s, held-out 5-shot MSE after 1 step {scores[name]:.3f}")
    if not scores["maml"] < scores["pretrained"]:
        raise SystemExit("MAML does not beat the pretrained baseline after one step: train longer")


if __name__ == "__main__":
    main()

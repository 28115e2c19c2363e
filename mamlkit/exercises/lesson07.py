"""Reference answers of lesson 07's exercises (see mamlkit.exercises): the ProtoNet classifier
(``omniglot.models.prototype_logits``), and what it scores with no embedding at all (raw pixels)
on the lesson's 5-way tasks."""
from functools import lru_cache

import numpy as np

from ..omniglot import data
from ..omniglot.models import prototype_logits

SEED = 7  # the lesson's evaluation tasks: seeded by SEED + their way (5 or 20)


def lesson_tasks(n_way, n_tasks=100):
    """The lesson's n_way 1-shot tasks of the evaluation characters, one query per character."""
    rng = np.random.default_rng(SEED + n_way)
    return [data.sample_task(data.evaluation(), n_way, 1, 1, rng) for _ in range(n_tasks)]


@lru_cache(maxsize=1)
def pixel_prototype_accuracy():
    """The share of the 5-way tasks' queries that prototypes of raw pixels classify right."""
    right = [np.argmax(prototype_logits(xs, ys, xq), axis=1) == yq
             for (xs, ys), (xq, yq) in lesson_tasks(5)]
    return float(np.mean(right))


def _cases():
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.repeat(np.arange(3), 2))  # 3-way 2-shot, labels shuffled
    return [(rng.normal(size=(6, 4)), labels, rng.normal(size=(5, 4))),
            (rng.normal(size=(5, 8)), np.arange(5), rng.normal(size=(7, 8))),
            (rng.normal(size=(6, 1)), np.array([1, 0, 0, 1, 1, 0]), rng.normal(size=(2, 1)))]


ANSWERS = {
    "protonet-logits": {"function": prototype_logits, "cases": _cases(), "rtol": 1e-10,
                        "atol": 1e-12},
    "pixel-prototype-accuracy": {"value": pixel_prototype_accuracy, "atol": 1e-9},
}

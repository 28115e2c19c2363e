"""The character game (lesson 07): every button pressed, right and wrong answers by button and by
click, the switch between 5 and 20 characters, and the running score of the learner and of the two
networks on the same tasks. Most tests play on small made-up characters with players whose answers
are known; the last plays the real game with the shipped networks."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from mamlkit.demos import omniglot_game
from widget_drive import mouse

SIZE = 6
IMAGES = np.random.default_rng(1).uniform(size=(30, 2, SIZE, SIZE))  # 30 characters, 2 drawings


def right(task):
    return task.test[1]


def wrong(task):
    return (task.test[1] + 1) % len(task.train[1])


@pytest.fixture
def game():
    demo = omniglot_game.character_game(images=IMAGES, players={"maml": right, "protonet": wrong})
    yield demo
    plt.close(demo.fig)


def score(demo, n_way):
    return {player: tuple(s) for player, s in demo.state["score"][n_way].items()}


def answer_cell(demo):
    return demo.state["answer"]


def test_a_task_is_one_drawing_of_each_character_and_another_drawing_of_one(game):
    for n_way in (5, 20, 5):
        game.update(n_way=n_way)
        (xs, ys), (xq, yq) = game.state["task"]
        assert xs.shape == (n_way, SIZE * SIZE) and xq.shape == (1, SIZE * SIZE)
        drawings = IMAGES.reshape(30, 2, -1)
        found = [np.flatnonzero((drawings == x).all(axis=2).any(axis=1)) for x in xs]
        assert all(len(f) == 1 for f in found) and len({f[0] for f in found}) == n_way
        character = found[answer_cell(game)][0]
        other = {tuple(d) for d in drawings[character]} - {tuple(xs[answer_cell(game)])}
        assert other == {tuple(xq[0])}  # the query is the right character's other drawing
        assert ys[answer_cell(game)] == yq[0]


def test_a_right_and_a_wrong_answer_by_button_count_for_you_and_the_networks(game):
    game.buttons[str(answer_cell(game) + 1)].click()
    assert game.message_text.startswith("Right!") and game.last_error is None
    assert score(game, 5) == {"you": (1, 1), "maml": (1, 1), "protonet": (0, 1)}
    game.buttons["new task"].click()
    wrong_cell = (answer_cell(game) + 2) % 5
    game.buttons[str(wrong_cell + 1)].click()
    assert f"it is character {answer_cell(game) + 1}" in game.message_text
    assert score(game, 5) == {"you": (1, 2), "maml": (2, 2), "protonet": (0, 2)}
    assert "you 1 of 2, MAML 2 of 2, ProtoNets 0 of 2" in game.message_text


def test_the_picks_and_the_right_character_are_marked_after_an_answer(game):
    frame = game.fig.axes[1].patches[-1]  # the right character's frame, added last
    assert not frame.get_visible() and all(not len(m.get_xdata()) for m in
                                           game.fig.axes[1].lines)
    game.buttons["1"].click()
    c, r = omniglot_game.cells(5)[answer_cell(game)]
    assert frame.get_visible() and frame.get_xy() == (c + 0.05, r + 0.05)
    picks = game.state["picks"]
    assert picks["maml"] == answer_cell(game) != picks["protonet"] and picks["you"] == 0
    for line, player in zip(game.fig.axes[1].lines, omniglot_game.PLAYERS):
        pc, pr = omniglot_game.cells(5)[picks[player]]
        assert pc < line.get_xdata()[0] < pc + 1 and pr < line.get_ydata()[0] < pr + 1


def test_a_task_is_played_once_and_buttons_beyond_n_do_nothing(game):
    game.buttons["20"].click()  # hidden in a 5-way task; a press only says so
    assert "pick one of 1 to 5" in game.message_text and score(game, 5)["you"] == (0, 0)
    assert game.buttons["20"].layout.display == "none" and game.buttons["5"].layout.display is None
    game.buttons["2"].click()
    game.buttons["3"].click()
    assert "This task is played" in game.message_text and score(game, 5)["you"][1] == 1


def test_every_button_at_5_and_at_20_characters(game):
    for n_way in (5, 20):
        game.update(n_way=n_way)
        for label, button in game.buttons.items():
            button.click()
            assert game.last_error is None, (n_way, label)
            assert "Score over your" in game.message_text
        assert score(game, n_way)["you"][1] == 1  # "new task", then "1" played it, then no more
    assert game.buttons["20"].layout.display is None


def test_switching_n_draws_a_new_task_and_keeps_a_score_per_n(game):
    game.buttons[str(answer_cell(game) + 1)].click()
    game.update(n_way=20)
    assert len(game.state["task"].train[1]) == 20 and not game.state["picks"]
    assert "Score over your 20-way tasks: you 0 of 0" in game.message_text
    game.buttons[str(answer_cell(game) + 1)].click()
    game.update(n_way=5)
    assert score(game, 5)["you"] == (1, 1) and score(game, 20)["you"] == (1, 1)


@pytest.mark.parametrize("n_way", [5, 20])
def test_clicking_a_character_answers_and_clicking_elsewhere_does_nothing(game, n_way):
    game.update(n_way=n_way)
    support = game.fig.axes[1]
    mouse(game, "press", None, 2, 2)  # the figure's corner, outside every axes
    mouse(game, "press", 0, 0.5, 0.5)  # the query
    mouse(game, "press", support, 4.5, 0.02 if n_way == 5 else 4.5)  # outside every character
    assert score(game, n_way)["you"] == (0, 0) and game.last_error is None
    c, r = omniglot_game.cells(n_way)[answer_cell(game)]
    mouse(game, "press", support, c + 0.5, r + 0.5)
    assert game.message_text.startswith("Right!") and score(game, n_way)["you"] == (1, 1)


def test_the_same_seed_gives_the_same_tasks():
    games = [omniglot_game.character_game(images=IMAGES, seed=3, players={}) for _ in range(2)]
    for _ in range(3):
        a, b = (g.state["task"] for g in games)
        assert all(np.array_equal(u, v) for u, v in zip(a.train + a.test, b.train + b.test))
        for g in games:
            g.buttons["new task"].click()
    assert "Score over your 5-way tasks: you 0 of 0." in games[0].message_text  # no networks
    for g in games:
        plt.close(g.fig)


def test_a_player_that_fails_is_shown_to_the_learner_not_raised():
    def broken(task):
        raise RuntimeError("no weights")
    demo = omniglot_game.character_game(images=IMAGES, players={"maml": broken})
    demo.buttons["1"].click()
    assert isinstance(demo.last_error, RuntimeError) and "no weights" in demo.message.value
    plt.close(demo.fig)


def test_the_real_game_with_the_shipped_networks():
    demo = omniglot_game.character_game(n_way=20)
    demo.buttons[str(answer_cell(demo) + 1)].click()
    assert demo.last_error is None and demo.message_text.startswith("Right!")
    assert set(demo.state["picks"]) == {"you", "maml", "protonet"}
    plt.close(demo.fig)

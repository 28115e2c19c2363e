"""The character game that opens the interactive article, on real Omniglot characters: N
characters, each drawn once (the support set), and one more drawing of one of them (the query).
The learner picks the character the query shows; then MAML and ProtoNets answer the same task.
Tasks are N-way 1-shot, drawn by a seeded generator from the evaluation characters
(``omniglot.data.evaluation``)."""
import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .. import omniglot
from ..omniglot import data
from ..plotting import COLORS, LABELS, figure
from .base import FULL, Demo

WAYS, COLUMNS, ROWS = (5, 20), 5, 4  # a 20-way task fills the 4 × 5 grid, a 5-way one its middle
PLAYERS = ("you", "maml", "protonet")
NAMES = {"you": "you", "maml": LABELS["maml"], "protonet": "ProtoNets"}
PICKS = {"you": "your pick", "maml": "MAML's pick", "protonet": "ProtoNets' pick"}
# Okabe–Ito: MAML's blue, sky blue for ProtoNets, black for the learner; the answer in the task's
# colour. Each player also has its own marker, so that no one is told apart by colour alone.
MARKS = {"you": ("*", "black", 0.3, 12), "maml": ("o", COLORS["maml"], 0.5, 9),
         "protonet": ("s", "#56B4E9", 0.7, 8)}  # (marker, colour, x in the cell, size)


def cells(n_way):
    """The (column, row) of the top-left corner of each of the ``n_way`` support cells."""
    if n_way == COLUMNS:
        return [(c, 1.5) for c in range(COLUMNS)]
    return [(i % COLUMNS, i // COLUMNS) for i in range(n_way)]


def shipped_player(method):
    """f(task) -> the labels the shipped ``method`` gives the task's query drawings."""
    theta, _info = omniglot.load(method)
    return lambda task: omniglot.predict(method, theta, task.train, task.test[0])


def character_game(n_way=5, seed=0, images=None, players=None):
    """The game: a toggle for 5 or 20 characters, a "new task" button, a button per character
    (or click the character), and a running score of you, MAML and ProtoNets on the same tasks.
    ``images`` (C, 2, s, s): the characters (default: the evaluation characters); ``players``
    {"maml": f, "protonet": f}, f(task) -> predicted labels of the task's query drawings."""
    images = data.evaluation() if images is None else np.asarray(images, dtype=float)
    players = {m: shipped_player(m) for m in PLAYERS[1:]} if players is None else players
    rng, size = np.random.default_rng(seed), images.shape[-1]
    blank = np.zeros((size, size))
    fig, (query_ax, support_ax) = figure(ncols=2, width=6.2, height=5.0,
                                         gridspec_kw={"width_ratios": [1.0, 3.0]})
    fig.subplots_adjust(left=0.02, right=0.99, top=0.9, bottom=0.12, wspace=0.06)
    for ax, (width, height) in ((query_ax, (1, 1)), (support_ax, (COLUMNS, ROWS))):
        ax.set(xlim=(0, width), ylim=(height, 0), aspect="equal", xticks=[], yticks=[])
        ax.grid(False)
        ax.spines[:].set_visible(False)
    shown = {"vmin": 0.0, "vmax": 1.0, "cmap": "gray_r", "interpolation": "nearest"}
    query_image = query_ax.imshow(blank, extent=(0.05, 0.95, 0.95, 0.05), **shown)
    query_ax.add_patch(Rectangle((0.02, 0.02), 0.96, 0.96, fill=False, color="0.6"))
    images_shown = [support_ax.imshow(blank, **shown) for _ in range(max(WAYS))]
    tiles = [support_ax.add_patch(Rectangle((0, 0), 0.9, 0.9, fill=False, color="0.8"))
             for _ in range(max(WAYS))]
    numbers = [support_ax.text(0, 0, str(i + 1), fontsize=8, color="0.35", va="top")
               for i in range(max(WAYS))]
    answer_frame = support_ax.add_patch(Rectangle((0, 0), 0.9, 0.9, fill=False, lw=3.5,
                                                  color=COLORS["task"], visible=False))
    marks = {p: support_ax.plot([], [], MARKS[p][0], color=MARKS[p][1], ms=MARKS[p][3],
                                ls="none", zorder=5)[0] for p in PLAYERS}
    handles = [Line2D([], [], marker=MARKS[p][0], color=MARKS[p][1], ls="none", ms=MARKS[p][3],
                      label=PICKS[p]) for p in PLAYERS]
    handles.append(Rectangle((0, 0), 1, 1, fill=False, lw=3, color=COLORS["task"],
                             label="the right character"))
    support_ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4,
                      fontsize=9, handlelength=1.2)
    query_ax.set_title("the query: which is it?", fontsize=11)
    support_ax.set_title(" ", fontsize=11)
    # What the game knows: the task, the cell of the right answer, the picks, the score per N
    # ({n_way: {player: [right, played]}}), and what a button or a click asked for.
    state = {"task": None, "n_way": None, "answer": None, "picks": {}, "pending": None,
             "score": {n: {p: [0, 0] for p in PLAYERS} for n in WAYS}, "note": ""}

    def new_task(n_way):
        task = data.sample_task(images, n_way, 1, 1, rng)
        (xs, ys), (xq, yq) = task
        j = int(rng.integers(n_way))  # one of the n_way query drawings
        state.update(task=type(task)((xs, ys), (xq[j:j + 1], yq[j:j + 1])), n_way=n_way,
                     answer=int(np.flatnonzero(ys == yq[j])[0]), picks={})
        state["note"] = (f"Which of these {n_way} characters is the drawing on the left? Click "
                         "it, or press its number.")
        corners = cells(n_way)
        for i, (image, tile, number) in enumerate(zip(images_shown, tiles, numbers)):
            visible = i < n_way
            for artist in (image, tile, number):
                artist.set_visible(visible)
            if visible:
                c, r = corners[i]
                image.set_data(xs[i].reshape(size, size))
                image.set_extent((c + 0.14, c + 0.86, r + 0.8, r + 0.08))
                tile.set_xy((c + 0.05, r + 0.05))
                number.set_position((c + 0.08, r + 0.08))
        query_image.set_data(xq[j].reshape(size, size))
        support_ax.set_title(f"the support set: {n_way} characters, each drawn once", fontsize=11)

    def answer(cell):
        n_way, (_, ys) = state["n_way"], state["task"].train
        if state["picks"]:
            state["note"] = "This task is played: press “new task” for another."
            return
        if not 0 <= cell < n_way:
            state["note"] = f"This task has {n_way} characters: pick one of 1 to {n_way}."
            return
        picks = {"you": cell}
        for name, player in players.items():
            label = np.asarray(player(state["task"])).ravel()[0]
            picks[name] = int(np.flatnonzero(ys == label)[0])
        state["picks"] = picks
        for name, pick in picks.items():
            state["score"][n_way][name][0] += pick == state["answer"]
            state["score"][n_way][name][1] += 1
        verdict = ("Right!" if cell == state["answer"] else
                   f"Not this time: it is character {state['answer'] + 1}.")
        others = ", ".join(f"{NAMES[m]} picked {picks[m] + 1} "
                           f"{'✓' if picks[m] == state['answer'] else '✗'}" for m in players)
        state["note"] = f"{verdict} {others}. Press “new task” for another."

    def draw(n_way):
        pending, state["pending"] = state["pending"], None
        if n_way != state["n_way"] or pending == "new":
            new_task(n_way)
        elif pending is not None:
            answer(pending)
        corners, picks = cells(n_way), state["picks"]
        for name, line in marks.items():
            if name in picks:
                c, r = corners[picks[name]]
                line.set_data([c + MARKS[name][2]], [r + 0.87])
            else:
                line.set_data([], [])
        c, r = corners[state["answer"]]
        answer_frame.set_xy((c + 0.05, r + 0.05))
        answer_frame.set_visible(bool(picks))
        score = state["score"][n_way]
        tally = ", ".join(f"{NAMES[p]} {score[p][0]} of {score[p][1]}" for p in PLAYERS
                          if p == "you" or p in players)
        return f"{state['note']}  Score over your {n_way}-way tasks: {tally}."

    def ask(what):
        def action(demo):
            state["pending"] = what
            demo.refresh()
        return action

    def clicked(event):
        if event.inaxes is not support_ax or event.xdata is None or state["n_way"] is None:
            return False
        for i, (c, r) in enumerate(cells(state["n_way"])):
            if c <= event.xdata < c + 1 and r <= event.ydata < r + 1:
                state["pending"] = i
                return True
        return False

    toggle = widgets.ToggleButtons(options=[(f"{n} characters", n) for n in WAYS], value=n_way,
                                   description="task", style=FULL)
    buttons = {"new task": ask("new"), **{str(i + 1): ask(i) for i in range(max(WAYS))}}
    demo = Demo(fig, draw, {"n_way": toggle}, buttons=buttons, state=state,
                title="The character game: one drawing of each character, then a new drawing")
    demo.on("button_press_event", clicked)
    for label, button in demo.buttons.items():
        button.layout = widgets.Layout(width="auto" if label == "new task" else "3.2em")
    row = next(box for box in demo.widget.children if demo.buttons["new task"] in
               getattr(box, "children", ()))
    row.layout.flex_flow = "row wrap"  # twenty numbers and "new task" on a narrow page too

    def show_buttons(n):
        for i in range(max(WAYS)):
            demo.buttons[str(i + 1)].layout.display = None if i < n else "none"

    toggle.observe(lambda change: show_buttons(change["new"]), names="value")
    show_buttons(n_way)
    return demo

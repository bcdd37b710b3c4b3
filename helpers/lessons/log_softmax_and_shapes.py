"""Lesson 01 (log_softmax_and_shapes): softmax at a temperature τ, the loss of the true class, and the checkers.

The widget divides four logits by τ, shows softmax and log_softmax, and follows the
loss of one true class, -log q[y], as τ moves. The checkers run the learner's own code
(`my_log_softmax`) or outcome (a fitted τ) on cases chosen to tell the right answer from
the usual mistakes.
"""
from __future__ import annotations

import math

import numpy as np

from .. import checks, losses, plots
from ..validate import as_array, to_numpy

CLASSES = ["a", "b", "c", "d"]
BASE_LOGITS = np.array([2.0, 1.0, 0.1, -1.0])
LOG_FLOOR = -12.0  # where the log_softmax axis stops; lower values are drawn at the floor
PROB_TOP = 1.12  # a little room above probability 1 for the value label (it would hit the title)
TAU_MIN, TAU_MAX = 0.1, 5.0  # the slider's range of temperatures
TAU_GRID = np.linspace(TAU_MIN, TAU_MAX, 246)  # [246] temperatures for the loss curve (step 0.02)
LOSS_TOP = 6.0  # nats: the loss panel's top; larger losses run off the top edge


def _class_index(true_class) -> int:
    if isinstance(true_class, str) and true_class in CLASSES:
        return CLASSES.index(true_class)
    raise ValueError(f"true_class must be one of {CLASSES}; got {true_class!r}")


def softmax_at_temperature(temperature: float = 1.0, first_logit: float = 2.0, true_class: str = "a",
                           logits=BASE_LOGITS) -> dict:
    """softmax(logits / τ) with the first logit replaced, and the loss -log q[y] of the true class y.

    Also the same loss on a grid of temperatures (`tau_grid`, `loss_curve`), for the figure.
    """
    if not temperature > 0:
        raise ValueError(f"temperature τ must be > 0; got {temperature}")
    y = _class_index(true_class)
    z = as_array(logits, "logits").copy()
    z[0] = first_logit
    scaled = z / temperature
    log_probs = losses.log_softmax(scaled)
    probs = np.exp(log_probs)
    curve = -losses.log_softmax(z[None, :] / TAU_GRID[:, None])[:, y]  # [246] loss at each τ
    return {"logits": z, "scaled": scaled, "probs": probs, "log_probs": log_probs,
            "sum": float(probs.sum()), "temperature": temperature, "true_class": true_class, "y": y,
            "loss": float(-log_probs[y]), "tau_grid": TAU_GRID, "loss_curve": curve}


class SoftmaxView:
    """Three panels built once: softmax bars, log_softmax bars, and the loss -log q[y] against τ."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Three panels. Left: bars of the softmax probabilities at the slider's temperature τ, the "
           "true class hatched. Middle: the log_softmax values, all at or below 0. Right: the loss "
           "−log q[y] of the true class against τ, a curve with a dot at the slider's τ and a dashed "
           "line at ln of the number of classes, the loss of a uniform guess.")

    def __init__(self, labels=CLASSES):
        self.fig, (left, middle, right) = plots.new_figure(3, width=10.5, height=3.0)
        self.probs = plots.Bars(left, labels, ylim=(0, PROB_TOP), title="softmax(z / τ)", fmt="{:.3f}",
                                ylabel="probability q")
        self.logs = plots.Bars(middle, labels, ylim=(LOG_FLOOR, 1.0), color=plots.ORANGE,
                               title="log_softmax(z / τ)  (≤ 0)", fmt="{:.2f}",
                               ylabel="log q (nats)")
        left.set_xlabel("class (hatched: the true class y)")
        middle.set_xlabel("class")
        zero_line = middle.lines[-1]  # Bars draws it at 0; redraw it over the bars in blitted frames too
        right.axhline(math.log(len(labels)), color=plots.GREY, ls="--", lw=1,
                      label=f"ln {len(labels)}:\na uniform guess")
        # the line is named in a legend in the top right corner, where no loss curve goes: for τ > 2.5 every
        # class's loss stays below 4 nats even at the slider's widest logit gap (a = 8 against d = -1)
        right.legend(loc="upper right", fontsize=8, frameon=False, handlelength=1.8, borderaxespad=0.2)
        (self.curve,) = right.plot(TAU_GRID, np.zeros_like(TAU_GRID), color=plots.RED, lw=2)
        (self.dot,) = right.plot([], [], "o", color=plots.RED, ms=8)
        right.set(xlim=(0, TAU_MAX + 0.1), ylim=(0, LOSS_TOP), xlabel="temperature τ",
                  ylabel="loss -log q[y] (nats)")
        self.loss_title = right.set_title(" ")
        self.artists = (self.probs.artists + self.logs.artists + [zero_line, self.curve, self.dot,
                                                                  self.loss_title])

    def update(self, result: dict) -> None:
        self.probs.update(result["probs"])
        self.logs.update(result["log_probs"])
        for i, (bar, bar_log) in enumerate(zip(self.probs.bars, self.logs.bars)):
            hatch = "//" if i == result["y"] else ""
            bar.set_hatch(hatch)
            bar_log.set_hatch(hatch)
        for text, value in zip(self.logs.texts, result["log_probs"]):
            if value > -0.005:  # log q of a nearly certain class, e.g. -1e-9: label it 0.00, not -0.00
                text.set_text("0.00")
            if value < LOG_FLOOR + 1:  # off-scale or nearly: label inside the bar, not over the tick labels
                text.set_y(LOG_FLOOR)
                text.set_va("bottom")
        self.curve.set_ydata(result["loss_curve"])
        self.dot.set_data([result["temperature"]], [min(result["loss"], 0.98 * LOSS_TOP)])
        self.loss_title.set_text(f"true class {result['true_class']}: loss {result['loss']:.3f} nats")


def describe_softmax(result: dict) -> str:
    """One line for the readout under the figure."""
    top, y = int(np.argmax(result["probs"])), result["y"]
    return (f"τ = {result['temperature']:.2f} · largest probability {result['probs'][top]:.4f} "
            f"(class {CLASSES[top]}) · true class {CLASSES[y]}: q = {result['probs'][y]:.4f}, "
            f"loss -log q = {result['loss']:.4f} nats")


def softmax_temperature_widget():
    """The lesson's widget: sliders for τ and for logit a, and buttons for the true class."""
    import ipywidgets as widgets

    from ..widgets import Lesson, slider
    controls = {"temperature": slider(1.0, TAU_MIN, TAU_MAX, 0.1, "temperature τ"),
                "first_logit": slider(2.0, -4.0, 8.0, 0.5, "logit of a"),
                "true_class": widgets.ToggleButtons(options=CLASSES, value="a", description="true class y",
                                                    style={"button_width": "40px",
                                                           "description_width": "initial"})}
    return Lesson(controls, softmax_at_temperature, SoftmaxView(), describe_softmax,
                  title="softmax temperature and loss")


# --- exercise: a stable log_softmax --------------------------------------------------------

def _log_softmax_cases():
    """Inputs that tell a stable log_softmax over the last dim from the usual near-misses."""
    import torch

    f64 = torch.float64
    gen = torch.Generator().manual_seed(1)
    return [
        ("ordinary logits", torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], dtype=f64)),
        ("a [B, T, V] tensor", torch.randn(2, 3, 4, generator=gen, dtype=f64)),
        ("rows at different scales", torch.tensor([[1000.0, 999.0], [0.0, -1.0]], dtype=f64)),
        ("wide rows", torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0]], dtype=f64)),
        ("a tiny probability", torch.tensor([[0.0, -800.0], [5.0, 5.0]], dtype=f64)),
    ]


def _log_softmax_mistakes() -> dict:
    """Plausible wrong versions, each keyed by the hint it deserves."""
    import torch

    def shifted(x, m):
        return (x - m) - (x - m).exp().sum(dim=-1, keepdim=True).log()

    return {
        "shift by each row's max, not the max of the whole tensor: a row far below the global max "
        "underflows to exp = 0 and log 0 = -inf": lambda x: shifted(x, x.max()),
        "the row mean is not a safe shift: in [1000, 0, -1000] the mean is 0 and exp(1000) overflows; "
        "subtract the row's max": lambda x: shifted(x, x.mean(dim=-1, keepdim=True)),
        "the first element is not a safe shift: in [-1000, 0, 1000] it is the smallest and exp(2000) "
        "overflows; subtract the row's max": lambda x: shifted(x, x[..., :1]),
        "you took log(exp(x - m) / sum): the division underflows to 0 for a tiny probability and "
        "log 0 = -inf; subtract log(sum) instead of dividing":
            lambda x: torch.log((x - x.amax(dim=-1, keepdim=True)).exp()
                                / (x - x.amax(dim=-1, keepdim=True)).exp().sum(dim=-1, keepdim=True)),
        "exp overflowed: subtract the row's max before exp (log-sum-exp)":
            lambda x: torch.log(x.exp() / x.exp().sum(dim=-1, keepdim=True)),
        "normalise over the last dim (dim=-1), the classes; dim=0 mixes different rows":
            lambda x: torch.log_softmax(x, dim=0),
        "normalise over the last dim (dim=-1): on [B, T, V] logits dim=1 is T, not the classes":
            lambda x: torch.log_softmax(x, dim=1),
    }


def _outputs(fn, inputs) -> list | str:
    """fn on every input as float64 numpy arrays, or a message saying why not."""
    out = []
    for x in inputs:
        try:
            got = fn(x.clone())
        except NotImplementedError:
            raise
        except Exception as exc:  # a learner's bug is feedback, not a crash
            return f"your function raised {type(exc).__name__}: {exc}"
        try:
            arr = np.asarray(to_numpy(got), dtype=np.float64)
        except (TypeError, ValueError):
            return f"your function returned {type(got).__name__}, not a tensor of numbers"
        if arr.shape != tuple(x.shape):
            return (f"on an input of shape {list(x.shape)} your function returned shape {list(arr.shape)}; "
                    "log_softmax keeps the shape")
        out.append(arr)
    return out


def _same(a: np.ndarray, b: np.ndarray, tol: float = 1e-6) -> bool:
    return a.shape == b.shape and checks.max_diff(a, b) <= tol


def check_my_log_softmax(fn) -> checks.Verdict:
    """Exercise: a stable log_softmax over the last dim, run on cases that catch the usual mistakes."""
    import torch

    if checks.unanswered(fn):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    if not callable(fn):
        return checks.Verdict("wrong", f"expected a function such as my_log_softmax, got {fn!r}")
    cases = _log_softmax_cases()
    inputs = [x for _, x in cases]
    try:
        got = _outputs(fn, inputs)
    except NotImplementedError:
        return checks.Verdict("unanswered", "your function still raises NotImplementedError; fill it in")
    if isinstance(got, str):
        return checks.Verdict("wrong", got)
    want = [torch.log_softmax(x, dim=-1).numpy() for x in inputs]
    if all(_same(g, w) for g, w in zip(got, want)):
        return checks.Verdict("correct", f"matches F.log_softmax on all {len(cases)} cases, "
                                         "including logits near ±1000 and a probability of e^-800")
    for hint, wrong_fn in _log_softmax_mistakes().items():
        wrong = _outputs(wrong_fn, inputs)
        if not isinstance(wrong, str) and all(_same(g, w) for g, w in zip(got, wrong)):
            return checks.Verdict("wrong", f"Hint: {hint}")
    name, g, w = next((n, g, w) for (n, _), g, w in zip(cases, got, want) if not _same(g, w))
    if np.isnan(g).any():
        why = "it contains nan: an exp overflowed to inf somewhere (inf - inf = nan)"
    elif np.isneginf(g).any():
        why = "it contains -inf: a probability underflowed to 0 before the log"
    else:
        why = f"the largest difference from F.log_softmax is {checks.max_diff(g, w):.4f}"
    return checks.Verdict("wrong", f"on {name}: {why}")


# --- exercise: fit the temperature of a small batch ---------------------------------------

def mean_loss_at_temperature(temperature, logits, targets) -> float:
    """The mean of -log softmax(logits / τ)[y] over the rows of `logits` [N, C], targets [N]."""
    if not temperature > 0:
        raise ValueError(f"temperature τ must be > 0; got {temperature}")
    z = as_array(logits, "logits")
    y = np.asarray(to_numpy(targets)).astype(np.int64)
    log_probs = losses.log_softmax(z / temperature)                     # [N, C]
    return float(-np.take_along_axis(log_probs, y[:, None], axis=-1).mean())


def best_temperature(logits, targets) -> dict:
    """The τ in the slider's range with the lowest mean loss, searched on a fine grid."""
    grid = np.linspace(TAU_MIN, TAU_MAX, 4901)  # step 0.001
    values = np.array([mean_loss_at_temperature(t, logits, targets) for t in grid])
    i = int(np.argmin(values))
    return {"tau": float(grid[i]), "loss": float(values[i])}


TAU_TOL = 5e-4    # nats above the best mean loss that still count as "found the minimum"
TAU_CLOSE = 5e-3  # nats: near the minimum, but not at it


def check_best_temperature(answer, logits, targets) -> checks.Verdict:
    """Exercise: the τ that minimises the batch's mean loss; judged by the loss it gives."""
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    tau = checks.as_number(answer)
    if tau is None or not math.isfinite(tau):
        return checks.Verdict("wrong", f"expected one number, a temperature τ > 0; got {answer!r}")
    if tau <= 0:
        return checks.Verdict("wrong", f"τ = {tau:.4f}: a temperature must be > 0 (the logits are divided by it)")
    best = best_temperature(logits, targets)
    loss, at_one = mean_loss_at_temperature(tau, logits, targets), mean_loss_at_temperature(1.0, logits, targets)
    said = f"τ = {tau:.4f} gives a mean loss of {loss:.4f} nats"
    if loss <= best["loss"] + TAU_TOL:
        return checks.Verdict("correct", f"{said}, the lowest in [{TAU_MIN}, {TAU_MAX}] to within {TAU_TOL} nats")
    if abs(tau - 1.0) < 1e-9:
        return checks.Verdict("wrong", f"{said}. Hint: τ = 1 is the model as it is; try other values "
                                       "and keep the one with the smallest mean loss")
    if tau <= TAU_MIN + 1e-9:
        return checks.Verdict("wrong", f"{said}. Hint: a small τ makes the right rows nearly certain but "
                                       "the wrong ones very costly (the loss of a wrong row grows like 1/τ); "
                                       "look for the minimum, not the maximum or the edge of the range")
    if tau >= TAU_MAX - 1e-9:
        return checks.Verdict("wrong", f"{said}. Hint: flattening all the way overshoots; the minimum is inside "
                                       "the range")
    if loss <= best["loss"] + TAU_CLOSE:
        return checks.Verdict("close", f"{said}: near the minimum, not at it; search a finer grid of τ")
    side = "larger" if tau < best["tau"] else "smaller"
    return checks.Verdict("wrong", f"{said} (τ = 1 gives {at_one:.4f}). Hint: try {side} values of τ "
                                   "and keep the one with the smallest mean loss")

"""Lesson 01 (log_softmax_and_shapes): how temperature and one logit reshape softmax and log_softmax."""
from __future__ import annotations

import numpy as np

from .. import losses, plots
from ..validate import as_array

CLASSES = ["a", "b", "c", "d"]
BASE_LOGITS = np.array([2.0, 1.0, 0.1, -1.0])
LOG_FLOOR = -12.0  # where the log_softmax axis stops; lower values are drawn at the floor
PROB_TOP = 1.12  # a little room above probability 1 for the value label (it would hit the title)


def softmax_at_temperature(temperature: float = 1.0, first_logit: float = 2.0,
                           logits=BASE_LOGITS) -> dict:
    """softmax(logits / T) with the first logit replaced; probs, log_probs and their checks."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    z = as_array(logits, "logits").copy()
    z[0] = first_logit
    scaled = z / temperature
    log_probs = losses.log_softmax(scaled)
    probs = np.exp(log_probs)
    return {"logits": z, "scaled": scaled, "probs": probs, "log_probs": log_probs,
            "sum": float(probs.sum()), "temperature": temperature}


class SoftmaxView:
    """Two panels built once: softmax bars in [0, 1] and log_softmax bars in nats."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Two bar charts over the same classes. Left: the softmax probabilities at the slider's "
           "temperature and logit, between 0 and 1. Right: the log_softmax values, all at or below "
           "0; as the temperature falls, one probability nears 1 and the others' logs fall steeply.")

    def __init__(self, labels=CLASSES):
        self.fig, (left, right) = plots.new_figure(2, width=7.5, height=2.8)
        self.probs = plots.Bars(left, labels, ylim=(0, PROB_TOP), title="softmax: probabilities", fmt="{:.3f}",
                                 ylabel="probability")
        self.logs = plots.Bars(right, labels, ylim=(LOG_FLOOR, 1.0), color=plots.ORANGE,
                               title="log_softmax (≤ 0)", fmt="{:.2f}",
                               ylabel="log-probability (nats)")
        left.set_xlabel("class")
        right.set_xlabel("class")
        zero_line = right.lines[-1]  # Bars draws it at 0; redraw it over the bars in blitted frames too
        self.artists = self.probs.artists + self.logs.artists + [zero_line]

    def update(self, result: dict) -> None:
        self.probs.update(result["probs"])
        self.logs.update(result["log_probs"])
        for text, value in zip(self.logs.texts, result["log_probs"]):
            if value < LOG_FLOOR + 1:  # off-scale or nearly: label inside the bar, not over the tick labels
                text.set_y(LOG_FLOOR)
                text.set_va("bottom")


def describe_softmax(result: dict) -> str:
    """One line for the readout under the figure."""
    top = int(np.argmax(result["probs"]))
    return (f"T = {result['temperature']:.2f} · largest probability {result['probs'][top]:.4f} "
            f"(class {CLASSES[top]}) · probabilities sum to {result['sum']:.4f}")


def softmax_temperature_widget():
    """The lesson's widget: a temperature slider and a slider for logit a."""
    from ..widgets import Lesson, slider
    controls = {"temperature": slider(1.0, 0.1, 5.0, 0.1, "temperature T"),
                "first_logit": slider(2.0, -4.0, 8.0, 0.5, "logit of a")}
    return Lesson(controls, softmax_at_temperature, SoftmaxView(), describe_softmax,
                  title="softmax temperature")

"""Lesson 05 (initialization_and_loss_estimation): predict the loss before training, and the initializations that meet it.

The lesson writes its model, its initializations and its training loop out in the notebook.
This module holds what the notebook does not need to show:

- `show_progress()`: should the notebook's training loops draw a tqdm bar?
- `uniform_loss(n)`: the loss of a uniform guess over n classes, -ln(1/n) = ln n nats.
- `init_mlp`, `mlp_logits`: a reference copy of the lesson's character MLP (M models
  stacked along a leading dimension), used by the checker, the widget and the worked
  solutions; a test checks that it draws exactly what the notebook's own `init_mlp` draws.
- `saturation(h)`: the fraction of tanh units with |h| > 0.97.
- `output_scale_demo` (pure) + `ScaleView` + `output_scale_widget`: the widget.
- `check_uniform_loss`, `check_first_loss` (applied: runs the learner's model),
  `check_high_first_loss`, `check_masked_first_loss` (predict-then-check), `check_gain`: exercise checkers.

The names data and the bigram count model (the reference point) are in `helpers.data`.
Every draw comes from its own `torch.Generator(seed)` in float64: float64 draws and float64
training give the same numbers on every x86 CPU (float32 `randn` does not: its vectorised
AVX2 path draws other numbers than the default one).
"""
from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from .. import checks, data, plots, validate

VOCAB_SIZE = 27
LN_VOCAB = math.log(VOCAB_SIZE)  # 3.2958 nats: the loss of a uniform guess over 27 symbols
BLOCK_SIZE, N_EMBD, N_HIDDEN = 3, 10, 100  # the lesson's model: 3 characters × 10 numbers -> 100 tanh -> 27
SATURATED = 0.97  # |tanh| above this: the local gradient 1 - h² is below 0.06
DTYPE = torch.float64
PROGRESS_ENV = "COURSE_PROGRESS"
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


# --- progress bars ------------------------------------------------------------------

def show_progress(environ=None) -> bool:
    """Should training loops show a progress bar?

    COURSE_PROGRESS=1 (or 0) decides if it is set. Otherwise: yes in a kernel that a
    Jupyter server started (JupyterLab sets JPY_SESSION_NAME for its kernels), no under
    `make outputs` and nbval (nbclient sets no such variable), so committed outputs never
    contain a bar.
    """
    env = os.environ if environ is None else environ
    value = env.get(PROGRESS_ENV, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return bool(env.get("JPY_SESSION_NAME"))


# --- the loss of a uniform guess ------------------------------------------------------

def uniform_loss(n_classes: int) -> float:
    """-ln(1/n): the cross-entropy of a model that gives each of n classes probability 1/n (nats)."""
    n_classes = validate.whole_number(n_classes, "n_classes", lo=1)
    return -math.log(1.0 / n_classes)


# --- the lesson's model (a reference copy; the notebook writes it out) ----------------------

def init_mlp(n_models: int, seed: int, *, out_scale: float = 1.0, hidden_gain: float | None = None,
             emb_scale: float = 1.0, n_hidden: int = N_HIDDEN) -> list[torch.Tensor]:
    """[C, W1, b1, W2, b2] of `n_models` character MLPs, each with a leading model dimension M.

    Every parameter starts N(0, 1) (float64, from torch.Generator(seed), in this order);
    then emb_scale multiplies C; hidden_gain (if set) makes W1 N(0, (gain/√fan_in)²) and b1
    zero (Kaiming); out_scale multiplies W2, and any out_scale other than 1 zeroes b2.
    """
    n_models, n_hidden = validate.whole_number(n_models, "n_models", lo=1), validate.whole_number(n_hidden, "n_hidden", lo=1)
    seed = validate.whole_number(seed, "seed")
    if hidden_gain is not None and not hidden_gain > 0:
        raise ValueError(f"hidden_gain must be > 0 (or None for N(0, 1) hidden weights); got {hidden_gain}")
    g = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(n_models, *shape, generator=g, dtype=DTYPE)

    fan_in = BLOCK_SIZE * N_EMBD
    C = randn(VOCAB_SIZE, N_EMBD) * emb_scale          # [M, 27, 10]
    W1, b1 = randn(fan_in, n_hidden), randn(n_hidden)   # [M, 30, H], [M, H]
    W2, b2 = randn(n_hidden, VOCAB_SIZE), randn(VOCAB_SIZE)  # [M, H, 27], [M, 27]
    if hidden_gain is not None:
        W1, b1 = W1 * hidden_gain / math.sqrt(fan_in), b1 * 0
    if out_scale != 1.0:
        W2, b2 = W2 * out_scale, b2 * 0
    return [C, W1, b1, W2, b2]


def mlp_logits(params, X: torch.Tensor) -> torch.Tensor:
    """Logits [M, B, 27] of the stacked MLPs [C, W1, b1, W2, b2] on contexts X [B, 3]."""
    C, W1, b1, W2, b2 = params
    emb = C[:, X]                                        # [M, B, 3, 10]
    h = torch.tanh(emb.flatten(2) @ W1 + b1[:, None])    # [M, B, H]
    return h @ W2 + b2[:, None]                          # [M, B, 27]


def saturation(h, threshold: float = SATURATED) -> float:
    """The fraction of tanh activations with |h| > threshold."""
    h = torch.as_tensor(h)
    if h.numel() == 0:
        raise ValueError("no activations given")
    return float((h.abs() > threshold).double().mean())


# --- the widget: scale the output layer, watch the first loss -------------------------------

WIDGET_BATCH = 256
LOSS_MAX = 40.0                               # top of the loss panel (nats)
LOGIT_BINS = np.linspace(-40.0, 40.0, 81)     # fixed bins: the histogram's bars never move sideways


@lru_cache(maxsize=8)
def _scale_demo_base(seed: int):
    """The work done once per seed: a fixed batch through a fresh N(0, 1) model's hidden layer."""
    all_names = data.load_names()
    stoi, itos = data.build_vocab(all_names)
    train_names, _ = data.split_names(all_names, 0.1, seed=0)
    # the first 500 training names (shuffled by the split) are plenty to draw 256 examples from
    X, Y = data.build_dataset(train_names[:500], stoi, block_size=BLOCK_SIZE)
    ix = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:WIDGET_BATCH]
    C, W1, b1, W2, _ = init_mlp(1, seed)
    h = torch.tanh(C[0, X[ix]].flatten(1) @ W1[0] + b1[0])   # [B, H]
    context = "".join(itos[int(i)] for i in X[ix[0]])
    return h, W2[0], Y[ix], context, itos


def output_scale_demo(scale: float = 1.0, seed: int = 0) -> dict:
    """First-batch loss, logits and example 0's softmax when the output weights are N(0, 1) x scale, bias 0.

    Pure: the same (scale, seed) always gives the same numbers. The model is a fresh
    N(0, 1) character MLP (`init_mlp(1, seed)`, the lesson's naive init); only its last
    layer is recomputed per call, on a fixed batch of 256 training examples.
    """
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0; got {scale}")
    seed = validate.whole_number(seed, "seed")
    h, weight, Y, context, itos = _scale_demo_base(seed)
    logits = h @ (weight * scale)                    # [B, 27]
    loss = float(F.cross_entropy(logits, Y))
    probs0 = torch.softmax(logits[0], dim=-1)        # [27]
    target0 = int(Y[0])
    return {"scale": float(scale), "seed": int(seed), "loss": loss, "logits": logits.numpy(),
            "logit_std": float(logits.std()), "probs0": probs0.numpy(), "target0": target0,
            "q_target0": float(probs0[target0]), "context0": context, "next0": itos[target0],
            "ln_vocab": LN_VOCAB}


class ScaleView:
    """Three panels built once: the first loss against ln 27, the logits histogram, example 0's softmax."""
    # the figure's text alternative (helpers.widgets.Lesson puts it on the widget's image)
    alt = ("Three panels for the chosen output-layer scale: a bar with the first loss in nats "
           "against a dashed line at ln 27; a histogram of the logits of a batch of examples "
           "(log-scale counts), which spreads wider as the scale grows; and the softmax "
           "probabilities of one example over the 27 characters against a dashed line at the uniform "
           "1/27, with the true next character's bar hatched and coloured.")

    def __init__(self, itos=data.ITOS):
        # fixed margins, not constrained layout: the first draw is about 0.3 s faster
        self.fig = Figure(figsize=(10.5, 3.0), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.055, right=0.99, bottom=0.17, top=0.9, wspace=0.28)
        ax_loss, ax_hist, ax_soft = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 3, 4]})
        for ax in (ax_loss, ax_hist, ax_soft):
            ax.spines[["top", "right"]].set_visible(False)
        self.loss = plots.Bars(ax_loss, ["first loss"], ylim=(0, LOSS_MAX), color=plots.RED,
                               title="loss (nats)", fmt="{:.2f}")
        ax_loss.axhline(LN_VOCAB, color="black", ls="--", lw=1)
        ax_loss.set_yticks([LN_VOCAB, 10, 20, 30, 40], ["ln 27", "10", "20", "30", "40"])  # the label sits on its line
        # one filled step outline, not 80 bars: a single artist to draw per frame
        self.hist = ax_hist.stairs(np.ones(len(LOGIT_BINS) - 1), LOGIT_BINS, fill=True, color=plots.BLUE,
                                   baseline=1e-3)
        ax_hist.set_yscale("log")
        ax_hist.set_xlim(LOGIT_BINS[0], LOGIT_BINS[-1])
        ax_hist.set_ylim(0.8, WIDGET_BATCH * VOCAB_SIZE)
        ax_hist.set_title(f"logits of {WIDGET_BATCH} examples (count, log scale)")
        ax_hist.set_xlabel("logit")
        self.soft = plots.Bars(ax_soft, list(itos), ylim=(0, 1), color=plots.GREY, fmt="")
        ax_soft.axhline(1 / VOCAB_SIZE, color="black", ls="--", lw=1)
        ax_soft.tick_params(axis="x", labelsize=8)
        ax_soft.set_title("softmax of example 0 (orange, hatched, labelled: true next)")
        ax_soft.set_ylabel("probability q")
        ax_soft.set_xlabel("next symbol")
        self.artists = [*self.loss.artists, self.hist, *self.soft.artists]

    def update(self, result: dict) -> None:
        self.loss.update([min(result["loss"], LOSS_MAX)])
        self.loss.texts[0].set_text(f"{result['loss']:.2f}")
        clipped = np.clip(result["logits"].ravel(), LOGIT_BINS[0], LOGIT_BINS[-1])
        counts, _ = np.histogram(clipped, LOGIT_BINS)
        self.hist.set_data(np.maximum(counts, 1e-3))  # below the axis floor: an empty bin shows nothing
        self.soft.update(result["probs0"])
        for i, (bar, text) in enumerate(zip(self.soft.bars, self.soft.texts)):
            true = i == result["target0"]
            bar.set_facecolor(plots.ORANGE if true else plots.GREY)
            bar.set_edgecolor("black" if true else plots.GREY)
            bar.set_hatch("//" if true else "")  # the true next character: not by colour alone
            text.set_text(f"{result['q_target0']:.3f}" if i == result["target0"] else "")


def describe_output_scale(result: dict) -> str:
    """The readout under the widget's figure."""
    return (f"output scale {result['scale']:.2f} · first loss <b>{result['loss']:.4f}</b> "
            f"(ln 27 = {result['ln_vocab']:.4f}) · logit std {result['logit_std']:.2f} · "
            f"example 0: '{result['context0']}' → '{result['next0']}' gets q = {result['q_target0']:.4f} "
            f"(uniform: {1 / VOCAB_SIZE:.4f})")


def output_scale_widget(seed: int = 0):
    """The lesson's widget: a slider for the output layer's init scale, and one for the seed."""
    from ..widgets import Lesson, slider
    controls = {"scale": slider(1.0, 0.0, 1.0, 0.01, "output init scale"),
                "seed": slider(seed, 0, 4, 1, "seed", integer=True)}
    return Lesson(controls, output_scale_demo, ScaleView(), describe_output_scale, title="output-layer init scale")


# --- exercise checkers -------------------------------------------------------------------

def check_uniform_loss(answer, n_classes: int) -> checks.Verdict:
    """The expected first loss of a model that guesses uniformly over n_classes (nats).

    Judged by `checks.check_log_count`, so ln of another class count is never correct.
    A short answer that is nearer ln n than the log of any other count (3.3 for ln 27)
    is "close", with a request for more decimals.
    """
    n = validate.whole_number(n_classes, "n_classes", lo=2)
    mistakes = {
        "that is in bits (log base 2); the loss is in nats, the natural log": math.log2(n),
        "that is log base 10; use the natural log": math.log10(n),
        "that is the probability 1/n of each class; the loss is -ln(1/n)": 1 / n,
        "mind the sign: -ln(1/n) is positive": -math.log(n),
    }
    if n == VOCAB_SIZE:
        mistakes["26 letters plus the boundary token '.' make 27 symbols"] = math.log(26)
    hint = "a uniform guess gives every class probability 1/n; the loss is -ln(1/n)"
    verdict = checks.check_log_count(answer, n, mistakes=mistakes, hint=hint)
    if verdict.status == "wrong" and "Hint: " + hint in verdict.detail:
        value = checks.as_number(answer)  # check_log_count read one number from it
        half_gap = 0.5 * min(math.log(n + 1) - math.log(n), math.log(n) - math.log(n - 1))
        if abs(value - math.log(n)) < half_gap:
            return checks.Verdict("close", f"{value:.4f} is nearer ln {n} = -ln(1/{n}) than the log of any other "
                                           "count; give it to 4 decimals (math.log)")
    return verdict


def _priors(Y: torch.Tensor) -> torch.Tensor:
    return torch.bincount(Y, minlength=VOCAB_SIZE).to(DTYPE) / len(Y)   # [27]


def prior_entropy(Y) -> float:
    """H(p) of the next-symbol frequencies p in Y: the first loss of a model whose logits are log p."""
    p = _priors(torch.as_tensor(Y))
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def _as_params(answer) -> list[torch.Tensor] | str:
    """The learner's [C, W1, b1, W2, b2] for one model, as float64 tensors; or why it is not that."""
    if not isinstance(answer, (list, tuple)) or len(answer) != 5:
        return "expected the list [C, W1, b1, W2, b2] of one model's parameters (as init_mlp(1, seed) gives)"
    try:
        params = [torch.as_tensor(p).detach().to(DTYPE) for p in answer]
    except (TypeError, ValueError, RuntimeError):
        return "every entry of [C, W1, b1, W2, b2] must be a tensor of numbers"
    C, W1, b1, W2, b2 = params
    H = W1.shape[-1] if W1.dim() == 3 else -1
    want = {"C": (1, VOCAB_SIZE, N_EMBD), "W1": (1, BLOCK_SIZE * N_EMBD, H), "b1": (1, H),
            "W2": (1, H, VOCAB_SIZE), "b2": (1, VOCAB_SIZE)}
    for i, ((name, shape), p) in enumerate(zip(want.items(), params)):
        if tuple(p.shape) == shape[1:]:  # one model given without its leading model dimension
            params[i] = p = p[None]
        if tuple(p.shape) != shape:
            return f"{name} has shape {list(p.shape)}; expected {list(shape)} (one model, leading dimension 1)"
    if not all(torch.isfinite(p).all() for p in params):
        return "a parameter holds nan or inf"
    return params


def check_first_loss(answer, X, Y, start: str = "priors") -> checks.Verdict:
    """Run the learner's re-initialised model on X, Y: is its first loss within 0.05 of the target?

    start="priors": the target is H(p) of the next-symbol frequencies in Y (output bias = log p,
    output weights small); start="uniform": the target is ln 27 (bias 0, weights small).
    """
    if start not in ("priors", "uniform"):
        raise ValueError(f"start must be 'priors' or 'uniform'; got {start!r}")
    if checks.unanswered(answer) or (isinstance(answer, (list, tuple)) and any(checks.unanswered(a) for a in answer)):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    params = _as_params(answer)
    if isinstance(params, str):
        return checks.Verdict("wrong", params)
    validate.dataset(X, Y)
    with torch.no_grad():
        loss = float(F.cross_entropy(mlp_logits(params, X)[0], Y))
    entropy = prior_entropy(Y)
    target, name = (entropy, "H(p)") if start == "priors" else (LN_VOCAB, "ln 27")
    said = f"first loss {loss:.4f}"
    if abs(loss - target) <= 0.05:
        return checks.Verdict("correct", f"{said}, within 0.05 of {name} = {target:.4f}")
    p, b2 = _priors(torch.as_tensor(Y)), params[4][0]
    if start == "priors" and torch.allclose(b2, p, atol=1e-3):
        return checks.Verdict("wrong", f"{said}. Hint: the bias holds the probabilities p; softmax needs logits, "
                                       "so set it to log p")
    if start == "priors" and abs(loss - LN_VOCAB) <= 0.05:
        return checks.Verdict("wrong", f"{said}: that is ln 27, the uniform start. Hint: the weights are fine; "
                                       "now set the output bias to the log of the priors, log p")
    if loss > target + 1.0:
        return checks.Verdict("wrong", f"{said}, far above {name} = {target:.4f}. Hint: the logits are still large; "
                                       "scale the output weights W2 down (0.01, or even 0)")
    return checks.Verdict("wrong", f"{said}, not within 0.05 of {name} = {target:.4f}. Hint: small output "
                                   "weights" + (" and the bias log p" if start == "priors" else " and bias 0"))


HIGH_OPTIONS = {
    "a": "the model has already learned a lot: a high loss means it is confident",
    "b": "the untrained model is confidently wrong: its logits are far too large, so softmax piles "
         "probability on a few wrong classes; check the input scale and the last layer's init",
    "c": "the loss is reported in bits; in nats it would be ln 10",
    "d": "nothing is wrong: any first loss is fine, training sorts it out",
}


def check_high_first_loss(answer) -> checks.Verdict:
    """Which reading of 'expected 2.3, got 14' (10 classes) is right?"""
    why_not = {
        "a": "an untrained model knows nothing; a loss above ln 10 is worse than a uniform guess, not better",
        "c": "ln 10 in bits is log2(10) = 3.32, nowhere near 14",
        "d": "the first steps then go into shrinking the logits (the hockey stick), and saturated units may never recover",
    }
    return checks.check_choice(answer, "b", why_not=why_not, options=HIGH_OPTIONS)


def masked_first_loss(n_classes: int = 27, real: int = 3, positions: int = 8) -> float:
    """The first loss a near-uniform model prints when a mask zeroes the padding but the mean divides by
    every position: ln C on each of the `real` positions of a row, divided by all `positions`."""
    return math.log(n_classes) * real / positions


def check_masked_first_loss(answer, n_classes: int = 27, real: int = 3, positions: int = 8) -> checks.Verdict:
    """Predict-then-check: the first loss of a fresh model whose masked mean divides by every position."""
    right = masked_first_loss(n_classes, real, positions)
    ln_c = math.log(n_classes)
    return checks.check_number(answer, right, mistakes={
        f"that is ln {n_classes}, the loss without the bug; the masked positions add 0 to the sum, "
        "yet they still count in the division": ln_c,
        "you divided the other way round: the sum has fewer terms than the count it is divided by, "
        "so the printed loss is below ln C": ln_c * positions / real,
        f"that is only the fraction of real positions; each real position costs about ln {n_classes}":
            real / positions,
        "that is in bits; the loss is in nats (natural log)": math.log2(n_classes) * real / positions,
        f"that is the fraction of padding; the real positions ({real} of {positions}) are the ones that "
        "cost surprise": ln_c * (positions - real) / positions,
    }, hint=f"a fresh model pays about ln {n_classes} on each real position; the sum over them is divided "
            "by every position, padding included")


def leaky_relu_gain(negative_slope: float) -> float:
    """The gain 1/√E[f(z)²], z ~ N(0, 1), for leaky ReLU: √(2 / (1 + a²))."""
    return math.sqrt(2.0 / (1.0 + negative_slope ** 2))


def check_gain(answer, negative_slope: float = 0.2) -> checks.Verdict:
    """The gain that keeps the mean square of the signal at 1 through leaky ReLU layers."""
    a = float(negative_slope)
    mistakes = {
        "that is ReLU's gain √2: the negative side also passes a·z, which adds a²/2 to E[f(z)²]": math.sqrt(2),
        "that is the gain squared, 1/E[f(z)²]; the weights' std is multiplied by its square root": 2 / (1 + a * a),
        "that is √E[f(z)²], the factor the layer shrinks the signal by; the gain undoes it: take 1 over it":
            math.sqrt((1 + a * a) / 2),
        "the slope enters squared: the negative half contributes E[(a·z)²; z < 0] = a²/2": math.sqrt(2 / (1 + a)),
    }
    return checks.check_number(answer, leaky_relu_gain(a), mistakes=mistakes,
                               hint="gain = 1/√E[f(z)²] with z ~ N(0, 1); split E[f(z)²] into z > 0 and z < 0")

"""Lesson 05 (initialization_and_loss_estimation): predict the loss before training, and the initializations that meet it.

- `uniform_loss(n)`: the loss of a uniform guess over n classes, -ln(1/n) = ln n nats.
- `CharMLP`: the character MLP (embedding -> tanh hidden layer -> logits over 27
  symbols) with the initializations the notebook compares; `train` and `evaluate`.
- `DeepTanh` and `activation_stats`: a stack of tanh layers, to see what the Kaiming gain
  fixes layer by layer.
- `output_scale_demo` (pure) + `ScaleView` + `output_scale_widget`: the widget.
- `check_uniform_loss`, `check_first_loss_diagnosis`, `check_excess_nats`: exercise checkers.

The names data and the bigram count model (the reference point) are in `helpers.data`.
Every model draws its parameters from its own `torch.Generator(seed)`, so building one
never touches torch's global random state and the same seed always gives the same model.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch.nn.utils import skip_init

from .. import checks, data, plots, validate

VOCAB_SIZE = 27
LN_VOCAB = math.log(VOCAB_SIZE)  # 3.2958 nats: the loss of a uniform guess over 27 symbols
SATURATED = 0.97  # |tanh| above this: the local gradient 1 - h² is below 0.06
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


# --- the character MLP ----------------------------------------------------------------------

class CharMLP(nn.Module):
    """Embedding -> flatten -> Linear -> tanh -> Linear: logits [B, 27] for the next character.

    init: "torch" = PyTorch's defaults (embedding N(0, 1); Linear weights and biases
          U(-1/√fan_in, 1/√fan_in)); "randn" = every parameter N(0, 1).
    hidden_gain: if set, hidden weights N(0, (gain/√fan_in)²) and hidden bias 0 (Kaiming).
    out_scale: if set, the output weights are multiplied by it and the output bias is 0.
    emb_scale: the embedding table is multiplied by it.
    """

    def __init__(self, init: str = "torch", seed: int = 0, *, out_scale: float | None = None,
                 hidden_gain: float | None = None, emb_scale: float = 1.0, vocab_size: int = VOCAB_SIZE,
                 block_size: int = 3, n_embd: int = 10, n_hidden: int = 200):
        super().__init__()
        if init not in ("torch", "randn"):
            raise ValueError(f"init must be 'torch' or 'randn'; got {init!r}")
        vocab_size, block_size, n_embd, n_hidden = (
            validate.whole_number(value, name, lo=1) for name, value in
            {"vocab_size": vocab_size, "block_size": block_size, "n_embd": n_embd, "n_hidden": n_hidden}.items())
        if out_scale is not None and not out_scale >= 0:
            raise ValueError(f"out_scale must be >= 0; got {out_scale}")
        if hidden_gain is not None and not hidden_gain > 0:
            raise ValueError(f"hidden_gain must be > 0; got {hidden_gain}")
        self.init, self.seed, self.block_size = init, seed, block_size
        # skip_init: allocate without drawing from the global generator; we draw below
        self.emb = skip_init(nn.Embedding, vocab_size, n_embd)
        self.hidden = skip_init(nn.Linear, block_size * n_embd, n_hidden)
        self.out = skip_init(nn.Linear, n_hidden, vocab_size)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            nn.init.normal_(self.emb.weight, generator=g)
            for i, layer in enumerate((self.hidden, self.out)):
                if i == 0 and hidden_gain is not None:
                    std = hidden_gain / math.sqrt(layer.in_features)
                    nn.init.normal_(layer.weight, 0.0, std, generator=g)
                    layer.bias.zero_()
                elif init == "randn":
                    nn.init.normal_(layer.weight, generator=g)
                    nn.init.normal_(layer.bias, generator=g)
                else:  # exactly what nn.Linear.reset_parameters does, with our generator
                    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)
                    bound = 1 / math.sqrt(layer.in_features)
                    nn.init.uniform_(layer.bias, -bound, bound, generator=g)
            self.emb.weight.mul_(emb_scale)
            if out_scale is not None:
                self.out.weight.mul_(out_scale)
                self.out.bias.zero_()

    def hidden_states(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pre-activations and tanh activations of the hidden layer, both [B, n_hidden]."""
        emb = self.emb(X)                            # [B, block_size, n_embd]
        pre = self.hidden(emb.flatten(1))            # [B, n_hidden]
        return pre, torch.tanh(pre)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden_states(X)[1])    # [B, vocab_size]


class DeepTanh(nn.Module):
    """Embedding -> `depth` x (Linear without bias -> tanh) -> Linear: a deep version of CharMLP.

    gain: hidden weights N(0, (gain/√fan_in)²); None = N(0, 1) (far too large).
    The output layer is N(0, 1) x out_scale without bias (the fix from section 4).
    """

    def __init__(self, gain: float | None = 5 / 3, seed: int = 0, *, depth: int = 5, width: int = 100,
                 out_scale: float = 0.01, vocab_size: int = VOCAB_SIZE, block_size: int = 3, n_embd: int = 10):
        super().__init__()
        depth, width = validate.whole_number(depth, "depth", lo=1), validate.whole_number(width, "width", lo=1)
        if gain is not None and not gain > 0:
            raise ValueError(f"gain must be > 0 (or None for N(0, 1) weights); got {gain}")
        self.emb = skip_init(nn.Embedding, vocab_size, n_embd)
        fans = [block_size * n_embd] + [width] * depth
        self.layers = nn.ModuleList(skip_init(nn.Linear, fans[i], width, bias=False) for i in range(depth))
        self.out = skip_init(nn.Linear, width, vocab_size, bias=False)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            nn.init.normal_(self.emb.weight, generator=g)
            for layer in self.layers:
                std = 1.0 if gain is None else gain / math.sqrt(layer.in_features)
                nn.init.normal_(layer.weight, 0.0, std, generator=g)
            nn.init.normal_(self.out.weight, 0.0, out_scale, generator=g)

    def activations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """The tanh output of every hidden layer, each [B, width]."""
        h = self.emb(X).flatten(1)                  # [B, block_size * n_embd]
        acts = []
        for layer in self.layers:
            h = torch.tanh(layer(h))                # [B, width]
            acts.append(h)
        return acts

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(self.activations(X)[-1])   # [B, vocab_size]


def saturation(h, threshold: float = SATURATED) -> float:
    """The fraction of tanh activations with |h| > threshold."""
    h = torch.as_tensor(h)
    if h.numel() == 0:
        raise ValueError("no activations given")
    return float((h.abs() > threshold).float().mean())


@torch.no_grad()
def activation_stats(model: DeepTanh, X: torch.Tensor) -> dict[str, list[float]]:
    """Per hidden layer: the std of the activations and the fraction saturated."""
    acts = model.activations(X)
    return {"std": [float(a.std()) for a in acts], "saturated": [saturation(a) for a in acts]}


# --- training -----------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> float:
    """Mean cross-entropy (nats) of the model on all of X, Y."""
    validate.dataset(X, Y)
    return float(F.cross_entropy(model(X), Y))


def train(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, *, steps: int = 300, batch_size: int = 32,
          lr: float = 0.1, seed: int = 0, progress: bool = False, desc: str = "training") -> np.ndarray:
    """Minibatch SGD on the mean cross-entropy; returns each step's batch loss (before its update).

    losses[0] is the untrained model's loss on the first batch. The batches come from
    torch.Generator(seed). progress=True shows a tqdm bar (see show_progress).
    """
    validate.dataset(X, Y)
    steps, batch_size = validate.whole_number(steps, "steps", lo=1), validate.whole_number(batch_size, "batch_size", lo=1)
    if not lr > 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    from tqdm.auto import tqdm  # the notebook-aware bar in JupyterLab, a text bar elsewhere

    g = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    losses = np.empty(steps)
    for step in tqdm(range(steps), desc=desc, disable=not progress):
        ix = torch.randint(0, len(X), (batch_size,), generator=g)   # [batch_size]
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses[step] = loss.item()
    return losses


# --- the widget: scale the output layer, watch the first loss -------------------------------

WIDGET_BATCH = 256
LOSS_MAX = 40.0                               # top of the loss panel (nats)
LOGIT_BINS = np.linspace(-40.0, 40.0, 81)     # fixed bins: the histogram's bars never move sideways


@lru_cache(maxsize=8)
def _scale_demo_base(seed: int):
    """The work done once per seed: a fixed batch through the N(0, 1) model's hidden layer."""
    all_names = data.load_names()
    stoi, itos = data.build_vocab(all_names)
    train_names, _ = data.split_names(all_names, 0.1, seed=0)
    X, Y = data.build_dataset(train_names, stoi, block_size=3)
    ix = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:WIDGET_BATCH]
    model = CharMLP(init="randn", seed=seed)
    with torch.no_grad():
        _, h = model.hidden_states(X[ix])           # [B, 200]
    context = "".join(itos[int(i)] for i in X[ix[0]])
    return h, model.out.weight.detach().clone(), Y[ix], context, itos


def output_scale_demo(scale: float = 1.0, seed: int = 0) -> dict:
    """First-batch loss, logits and example 0's softmax when the output weights are N(0, 1) x scale, bias 0.

    Pure: the same (scale, seed) always gives the same numbers. The hidden layer is the
    N(0, 1) model of section 4 (CharMLP(init="randn", seed=seed, out_scale=scale)); only
    the last layer is recomputed per call.
    """
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0; got {scale}")
    seed = validate.whole_number(seed, "seed")
    h, weight, Y, context, itos = _scale_demo_base(seed)
    logits = h @ (weight * scale).T                  # [B, 27]
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
        self.fig = Figure(figsize=(10.5, 3.0), dpi=plots.DPI, layout="constrained")
        ax_loss, ax_hist, ax_soft = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 3, 4]})
        for ax in (ax_loss, ax_hist, ax_soft):
            ax.spines[["top", "right"]].set_visible(False)
        self.loss = plots.Bars(ax_loss, ["first loss"], ylim=(0, LOSS_MAX), color=plots.RED,
                               title="loss (nats)", fmt="{:.2f}")
        ax_loss.axhline(LN_VOCAB, color="black", ls="--", lw=1)
        ax_loss.set_yticks([LN_VOCAB, 10, 20, 30, 40], ["ln 27", "10", "20", "30", "40"])  # the label sits on its line
        centers = (LOGIT_BINS[:-1] + LOGIT_BINS[1:]) / 2
        self.hist = ax_hist.bar(centers, np.ones_like(centers), width=np.diff(LOGIT_BINS), color=plots.BLUE, log=True)
        ax_hist.set_xlim(LOGIT_BINS[0], LOGIT_BINS[-1])
        ax_hist.set_ylim(0.8, WIDGET_BATCH * VOCAB_SIZE)
        ax_hist.set_title(f"logits of {WIDGET_BATCH} examples (count, log scale)")
        ax_hist.set_xlabel("logit")
        self.soft = plots.Bars(ax_soft, list(itos), ylim=(0, 1), color=plots.GREY, fmt="")
        ax_soft.axhline(1 / VOCAB_SIZE, color="black", ls="--", lw=1)
        ax_soft.tick_params(axis="x", labelsize=8)
        ax_soft.set_title("softmax of example 0 (hatched: true next)")
        ax_soft.set_ylabel("probability q")
        ax_soft.set_xlabel("next symbol")
        self.artists = [*self.loss.artists, *self.hist, *self.soft.artists]

    def update(self, result: dict) -> None:
        self.loss.update([min(result["loss"], LOSS_MAX)])
        self.loss.texts[0].set_text(f"{result['loss']:.2f}")
        clipped = np.clip(result["logits"].ravel(), LOGIT_BINS[0], LOGIT_BINS[-1])
        counts, _ = np.histogram(clipped, LOGIT_BINS)
        for bar, count in zip(self.hist, counts):
            bar.set_height(max(count, 1e-3))  # below the axis floor: an empty bin shows nothing
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
    """The expected first loss of a model that guesses uniformly over n_classes."""
    n = n_classes
    mistakes = {
        "that is in bits (log base 2); the loss is in nats, the natural log": math.log2(n),
        "that is log base 10; use the natural log": math.log10(n),
        "that is the probability 1/n of each class; the loss is -ln(1/n)": 1 / n,
        "mind the sign: -ln(1/n) is positive": -math.log(n),
    }
    if n == VOCAB_SIZE:
        mistakes["26 letters plus the boundary token '.' make 27 symbols"] = math.log(26)
    return checks.check_number(answer, uniform_loss(n), mistakes=mistakes,
                               hint="a uniform guess gives every class probability 1/n; the loss is -ln(1/n)")


DIAGNOSES = {
    "a": "the model has already learned a lot: a high loss means it is confident",
    "b": "the untrained model is confidently wrong: its logits are far too large, so softmax piles "
         "probability on a few wrong classes; check the input scale and the last layer's init",
    "c": "the loss is reported in bits; in nats it would be ln 10",
    "d": "nothing is wrong: any first loss is fine, training sorts it out",
}


def check_first_loss_diagnosis(answer) -> checks.Verdict:
    """Which reading of 'expected 2.3, got 14' (10 classes) is right?"""
    why_not = {
        "a": "an untrained model knows nothing; a loss above ln 10 is worse than a uniform guess, not better",
        "c": "ln 10 in bits is log2(10) = 3.32, nowhere near 14",
        "d": "the first steps then go into shrinking the logits (the hockey stick), and saturated units may never recover",
    }
    return checks.check_choice(answer, "b", why_not=why_not, options=DIAGNOSES)


def check_excess_nats(answer) -> checks.Verdict:
    """How many nats above the uniform guess (ln 10) is a first loss of 14?"""
    gap = 14 - math.log(10)
    mistakes = {
        "losses in nats compare by their difference, not their ratio": 14 / math.log(10),
        "ln 10 is 2.3026 nats; you subtracted log2(10), which is in bits": 14 - math.log2(10),
        "subtract the uniform loss ln 10, not 1/10": 14 - 0.1,
    }
    return checks.check_number(answer, gap, mistakes=mistakes, hint="subtract the uniform guess's loss, ln 10, from 14")

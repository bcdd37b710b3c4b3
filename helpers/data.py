"""The course's data sets, loaded and validated, and the bigram count model built on the names.

The names (data/names.txt) for the 27-character models of lessons 05 and 08:

    names = load_names()                       # 5,163 lowercase first names (US Census 1990)
    stoi, itos = build_vocab(names)            # '.' (the boundary token) is 0, then a..z
    train, val = split_names(names, 0.1, seed=0)
    X, Y = build_dataset(train, stoi, block_size=3)   # contexts [N, 3] -> next character [N]

The bigram model (lessons 05 and 08), one version of each step:

    counts = bigram_counts(train, stoi)        # [27, 27]: row = current, column = next
    q = bigram_probs(counts, alpha=1.0)        # add-α estimate of q(next | current); α = 0 is the MLE
    bigram_nll(q, bigram_counts(val, stoi))    # mean -ln q over the validation bigrams (nats)

The M&M colour mixes (data/mm_mixes.csv) for the surprise game of lesson 04:

    mixes = load_mixes()                       # bag name -> Mix (probabilities in COLOURS order)
    get_mix("peanut_2006", mixes)

data/README.md gives each file's provenance, licence and checksum; data/build_names.py
rebuilds names.txt. Bad data raises ValueError (FileNotFoundError for a missing file)
saying what was wrong and how to fix it.
"""
from __future__ import annotations

import csv
import math
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import validate

ROOT = Path(__file__).resolve().parent.parent
NAMES_PATH = ROOT / "data" / "names.txt"
MIXES_PATH = ROOT / "data" / "mm_mixes.csv"
BOUNDARY = "."  # marks both the start and the end of a name
LETTERS = string.ascii_lowercase
ITOS = [BOUNDARY, *LETTERS]  # 27 symbols; the boundary token is index 0
REBUILD = "python data/build_names.py"


# --- the names ------------------------------------------------------------------------

def _check_letters(name: str, where: str) -> None:
    if not name or any(ch not in LETTERS for ch in name):
        bad = next((ch for ch in name if ch not in LETTERS), "")
        what = "is empty" if not name else f"has the character {bad!r}"
        raise ValueError(f"{where}: {name!r} {what}; names must be lowercase a-z only")


def load_names(path=None) -> list[str]:
    """The names in `path` (default data/names.txt), one per line, in file order."""
    path = NAMES_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no names file at {path}. Rebuild data/names.txt with `{REBUILD}` "
                                "from the repository folder (see data/README.md)")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(f"{path} is empty; expected one lowercase name per line. Rebuild it with `{REBUILD}`")
    for number, line in enumerate(lines, start=1):
        _check_letters(line, f"{path.name} line {number}")
    return lines


def build_vocab(names) -> tuple[dict[str, int], list[str]]:
    """stoi and itos for the 27 symbols: '.' is 0, a..z are 1..26 (checks the names use only those)."""
    for i, name in enumerate(names):
        _check_letters(name, f"name {i}")
    itos = list(ITOS)
    return {ch: i for i, ch in enumerate(itos)}, itos


def split_names(names, val_fraction: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """Shuffle with `seed`, then cut off round(val_fraction * n) names (at least 1) for validation."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive); got {val_fraction}")
    names = list(names)
    if len(names) < 2:
        raise ValueError(f"need at least 2 names to split into train and validation; got {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    n_val = min(max(1, round(val_fraction * len(names))), len(names) - 1)
    val = [names[i] for i in order[:n_val]]
    train = [names[i] for i in order[n_val:]]
    return train, val


def _indices(name: str, stoi: dict[str, int]) -> list[int]:
    try:
        return [stoi[ch] for ch in name]
    except KeyError as exc:
        raise ValueError(f"{name!r} has the character {exc.args[0]!r}, which is not in the vocabulary") from None


def build_dataset(names, stoi: dict[str, int], block_size: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, next character) pair: X [N, block_size] and Y [N], both int64.

    A name contributes len(name) + 1 examples: each letter, then the boundary token that
    ends it. Contexts start as block_size boundary tokens ('...' for block_size 3).
    """
    block_size = validate.whole_number(block_size, "block_size", lo=1)
    if BOUNDARY not in stoi:
        raise ValueError(f"stoi has no boundary token {BOUNDARY!r}; build it with build_vocab(names)")
    end = stoi[BOUNDARY]
    xs, ys = [], []
    for name in names:
        context = [end] * block_size
        for ix in _indices(name, stoi) + [end]:
            xs.append(context)
            ys.append(ix)
            context = context[1:] + [ix]
    if not xs:
        raise ValueError("no names given; expected a non-empty list of names")
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


# --- the bigram model of the names ------------------------------------------------------

def bigram_counts(names, stoi: dict[str, int]) -> np.ndarray:
    """counts[i, j] = how often symbol j follows symbol i, with '.' before and after each name."""
    if BOUNDARY not in stoi:
        raise ValueError(f"stoi has no boundary token {BOUNDARY!r}; build it with build_vocab(names)")
    counts = np.zeros((len(stoi), len(stoi)), dtype=np.int64)
    end = stoi[BOUNDARY]
    for name in names:
        ix = [end, *_indices(name, stoi), end]
        np.add.at(counts, (ix[:-1], ix[1:]), 1)
    return counts


def bigram_probs(counts, alpha: float = 1.0) -> np.ndarray:
    """Add-α estimate q(next | current) = (N[current, next] + α) / (N[current] + Vα).

    α = 0 is the maximum-likelihood estimate (the row frequencies); α = inf gives the
    uniform distribution 1/V (the limit). A row with no counts has no MLE (0/0): with
    α = 0 that is an error.
    """
    c = validate.counts(counts)
    alpha = float(alpha)
    if math.isnan(alpha) or alpha < 0:
        raise ValueError(f"alpha (the pseudo-count) must be >= 0; got {alpha}")
    n_next = c.shape[1]
    if math.isinf(alpha):
        return np.full(c.shape, 1.0 / n_next)
    totals = c.sum(axis=1, keepdims=True)
    if alpha == 0 and np.any(totals == 0):
        empty = int(np.flatnonzero(totals[:, 0] == 0)[0])
        raise ValueError(f"row {empty} has no counts, so its MLE is 0/0; use alpha > 0")
    return (c + alpha) / (totals + n_next * alpha)


def bigram_nll(probs, counts) -> float:
    """Mean NLL (nats) of the bigrams tallied in `counts` under the model q = probs.

    -Σ N[i, j] log q[i, j] / Σ N. A bigram the data contain but the model gives
    probability 0 makes it inf (a model that calls an observed event impossible).
    """
    q = validate.probabilities(probs, "probs")
    c = validate.counts(counts)
    if q.shape != c.shape:
        raise ValueError(f"probs and counts must have the same shape; got {list(q.shape)} and {list(c.shape)}")
    if c.sum() == 0:
        raise ValueError("counts are all zero; there is nothing to score")
    seen = c > 0
    if np.any(q[seen] == 0):
        return math.inf
    return float(-(c[seen] * np.log(q[seen])).sum() / c.sum())


# --- the M&M colour mixes ---------------------------------------------------------------

COLOURS = ("red", "orange", "yellow", "green", "blue", "brown")  # the CSV's colour columns, in order
MIX_REQUIRED = ("bag", "label", *COLOURS)
MIX_OPTIONAL = ("source",)
PERCENT_TOL = 1e-6


@dataclass(frozen=True)
class Mix:
    """One colour mix: `probs` in the order of COLOURS (fractions summing to 1)."""

    bag: str
    label: str
    probs: np.ndarray
    source: str = ""

    def as_dict(self) -> dict[str, float]:
        return {c: float(p) for c, p in zip(COLOURS, self.probs)}


def _number(text: str, bag: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: bag {bag!r} has {column}={text!r}; expected a number "
                         "(a percentage)") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: bag {bag!r} has {column}={text!r}; expected a finite percentage")
    if value < 0:
        raise ValueError(f"{where}: bag {bag!r} has a negative percentage {column}={value:g}; "
                         "percentages must be >= 0")
    return value


def load_mixes(path=MIXES_PATH) -> dict[str, Mix]:
    """Read and validate the colour mixes (percent rows summing to 100), keyed by bag name."""
    path = Path(path)
    where = path.name
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        missing = [c for c in MIX_REQUIRED if c not in columns]
        if missing:
            raise ValueError(f"{where} is missing column(s) {missing}; expected the columns "
                             f"{list(MIX_REQUIRED)} (and optionally {list(MIX_OPTIONAL)})")
        extra = [c for c in columns if c not in MIX_REQUIRED + MIX_OPTIONAL]
        if extra:
            raise ValueError(f"{where} has unexpected column(s) {extra}; the colours are "
                             f"{list(COLOURS)}")
        rows = list(reader)
    mixes: dict[str, Mix] = {}
    for line, row in enumerate(rows, start=2):
        bag = (row.get("bag") or "").strip()
        if not bag:
            raise ValueError(f"{where} line {line}: empty bag name")
        if bag in mixes:
            raise ValueError(f"{where} line {line}: duplicate bag name {bag!r}; each bag appears once")
        percents = np.array([_number(row.get(c), bag, c, where) for c in COLOURS])
        total = float(percents.sum())
        if abs(total - 100.0) > PERCENT_TOL:
            raise ValueError(f"{where}: bag {bag!r} sums to {total:g} percent; each row's "
                             "colour percentages must sum to 100")
        mixes[bag] = Mix(bag, (row.get("label") or bag).strip(), percents / 100.0,
                         (row.get("source") or "").strip())
    if not mixes:
        raise ValueError(f"{where} has no bags; expected one row per colour mix")
    return mixes


def get_mix(bag: str, mixes: dict[str, Mix] | None = None) -> Mix:
    """The mix called `bag`; a clear error for an unknown name."""
    mixes = load_mixes() if mixes is None else mixes
    if bag not in mixes:
        raise ValueError(f"unknown bag {bag!r}; expected one of {list(mixes)}")
    return mixes[bag]

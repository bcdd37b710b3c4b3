"""Lesson 09's capstone: tag the words of short support messages (several tags per word, one rare).

The data are generated from a fixed table of tag rates per word (TAG_RATES), so a learner's
design can be measured on fresh messages. The checker (`check_tag_design`) runs the learner's
loss against torch on seeded cases, then trains with it through the lesson's own `train`
loop and checks that the rare tag is flagged on exactly the words the help desk's costs make worth
flagging (MISS_COST: a missed urgent word costs as much as that many false alarms).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ... import checks
from ...validate import to_numpy
from ...checks import Verdict

WORDS = ["<pad>", "the", "app", "screen", "order", "broken", "slow", "refund", "now", "help", "please"]
TAGS = ["product", "complaint", "urgent"]
PAD = 0
T_MAX = 6  # messages are 2 to 6 words long, padded to 6
RARE = 2   # the column of the rare tag, "urgent"
MISS_COST = 5  # the help desk's costs: one missed urgent word costs as much as 5 false alarms
# P(tag | word) per occurrence, [V, K]; "urgent" is never more likely than not for any word
TAG_RATES = np.array([
    [0.00, 0.00, 0.00],   # <pad>
    [0.02, 0.02, 0.00],   # the
    [0.90, 0.05, 0.00],   # app
    [0.85, 0.05, 0.00],   # screen
    [0.80, 0.10, 0.02],   # order
    [0.10, 0.85, 0.12],   # broken
    [0.05, 0.70, 0.05],   # slow
    [0.20, 0.60, 0.05],   # refund
    [0.00, 0.05, 0.35],   # now
    [0.00, 0.10, 0.30],   # help
    [0.00, 0.02, 0.05],   # please
])


def tagging_data(n_messages: int = 200, seed: int = 0):
    """Seeded messages: tokens [B, T] (PAD after the end), tags [B, T, K] (0/1 floats, 0 at padding), mask [B, T]."""
    if n_messages < 1:
        raise ValueError(f"n_messages must be at least 1; got {n_messages}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, T_MAX + 1, size=n_messages)
    tokens = rng.integers(1, len(WORDS), size=(n_messages, T_MAX))
    tokens[np.arange(T_MAX) >= lengths[:, None]] = PAD
    tags = (rng.random((n_messages, T_MAX, len(TAGS))) < TAG_RATES[tokens]).astype(np.float64)
    return torch.as_tensor(tokens), torch.as_tensor(tags), torch.as_tensor(tokens != PAD)


def recall_precision(logits, tags, mask):
    """Per tag, at threshold 0.5 (logit > 0): recall = found / present, precision = right / predicted."""
    pred = (logits > 0) & mask[..., None]                 # [B, T, K]
    present = (tags > 0.5) & mask[..., None]              # [B, T, K]
    hits = (pred & present).sum(dim=(0, 1)).double()      # [K]
    recall = hits / present.sum(dim=(0, 1)).clamp(min=1)
    precision = hits / pred.sum(dim=(0, 1)).clamp(min=1)
    return recall.numpy(), precision.numpy()


def urgent_rates(tokens, tags) -> np.ndarray:
    """[V] the fraction of each word's occurrences that carry the rare tag (0 for the pad)."""
    rates = np.zeros(len(WORDS))
    for w in range(1, len(WORDS)):
        seen = tokens == w
        rates[w] = float(tags[..., RARE][seen].mean()) if seen.any() else 0.0
    return rates


def words_worth_flagging() -> list[str]:
    """Words whose training urgent rate f makes flagging pay: f·MISS_COST > 1 − f, i.e. f > 1/(1 + MISS_COST)."""
    tokens, tags, _ = tagging_data(200, seed=0)
    rates = urgent_rates(tokens, tags)
    return [WORDS[w] for w in range(1, len(WORDS)) if rates[w] > 1 / (1 + MISS_COST)]


def tag_loss_torch(logits, tags, mask, pos_weight=None):
    """The reference: torch's BCE on the real tokens only, with pos_weight; mean over real tokens x tags."""
    return F.binary_cross_entropy_with_logits(logits[mask], tags[mask], pos_weight=pos_weight)


def tag_loss_cases() -> list[tuple]:
    """Seeded float64 cases (logits, tags, mask, pos_weight); the second has T == K."""
    gen = torch.Generator().manual_seed(15)
    cases = []
    for b, t, k, lengths in [(3, 5, 3, (5, 2, 3)), (2, 4, 4, (4, 1))]:
        logits = torch.randn(b, t, k, generator=gen, dtype=torch.float64) * 2     # [B, T, K]
        tags = (torch.rand(b, t, k, generator=gen) < 0.4).double()              # [B, T, K]
        mask = torch.arange(t) < torch.tensor(lengths)[:, None]                  # [B, T]
        tags[~mask] = 0.0
        pos_weight = torch.rand(k, generator=gen, dtype=torch.float64) * 6 + 0.5  # [K]
        cases.append((logits, tags, mask, pos_weight))
    return cases


def _bce_terms(z, y, pw):
    return -(pw * y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z))              # [B, T, K]


def _all_positions(logits, tags, mask, pw):
    return _bce_terms(logits, tags, pw).mean()


def _weight_on_negatives(logits, tags, mask, pw):
    terms = -(tags * F.logsigmoid(logits) + pw * (1 - tags) * F.logsigmoid(-logits))
    return terms[mask].mean()


def _renormalised(logits, tags, mask, pw):
    w = torch.where(tags > 0.5, pw, torch.ones_like(logits))                   # [B, T, K]
    return _bce_terms(logits, tags, pw)[mask].sum() / w[mask].sum()


def _no_pos_weight(logits, tags, mask, pw):
    return _bce_terms(logits, tags, torch.ones_like(pw))[mask].mean()


def _double_sigmoid(logits, tags, mask, pw):
    return _bce_terms(torch.sigmoid(logits), tags, pw)[mask].mean()


def _softmax_over_tags(logits, tags, mask, pw):
    return -(pw * tags * F.log_softmax(logits, dim=-1))[mask].sum(-1).mean()


def _sum_over_tags(logits, tags, mask, pw):
    return _bce_terms(logits, tags, pw)[mask].sum() / mask.sum()


def _sum(logits, tags, mask, pw):
    return _bce_terms(logits, tags, pw)[mask].sum()


TAG_SLIPS = [
    ("the padded positions are in the mean: keep only the real tokens (logits[mask] or a mask)", _all_positions),
    ("pos_weight multiplies the positive term y·log σ(z), not the negative one", _weight_on_negatives),
    ("pos_weight rescales the positives' terms; the mean still divides by the number of terms "
     "(real tokens × tags), not by a sum of weights as cross_entropy's weight= does", _renormalised),
    ("pos_weight is missing: the rare tag's positives must count more", _no_pos_weight),
    ("sigmoid applied twice: logsigmoid takes the raw logits", _double_sigmoid),
    ("softmax over the tags makes them compete; each tag is its own yes/no question (logsigmoid)",
     _softmax_over_tags),
    ("that sums over the tags; the mean is over every real token's every tag", _sum_over_tags),
    ("that is the sum; the default reduction is the mean", _sum),
]


def _as_pos_weight(pos_weight, k: int):
    try:
        value = torch.as_tensor(to_numpy(pos_weight), dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):  # not numbers: the caller says what is expected
        return None
    if value.ndim == 0:
        value = value.expand(k)
    if value.shape != (k,) or not torch.isfinite(value).all() or (value <= 0).any():
        return None
    return value.clone()


def _compare(tag_loss) -> Verdict | None:
    """None when tag_loss matches torch on every case; else the verdict to show."""
    for logits, tags, mask, pw in tag_loss_cases():
        try:
            got = tag_loss(logits.clone(), tags.clone(), mask.clone(), pw.clone())
        except NotImplementedError:
            return Verdict("unanswered", "your tag_loss still raises NotImplementedError; fill it in")
        except Exception as exc:  # a learner's bug is feedback, not a crash
            return Verdict("wrong", f"your tag_loss raised {type(exc).__name__}: {str(exc)[:200]}")
        if checks.unanswered(got):
            return Verdict("unanswered", "your tag_loss returns nothing yet")
        if checks.as_number(got) is None:
            return Verdict("wrong", "tag_loss must return one number: the mean over real tokens and tags")
        want = float(tag_loss_torch(logits, tags, mask, pw))
        if checks.check_number(got, want, tol=1e-6, rounding=False).status == "correct":
            continue
        for why, slip in TAG_SLIPS:
            if checks.check_number(got, float(slip(logits, tags, mask, pw)), tol=1e-6, rounding=False):
                return Verdict("wrong", f"Hint: {why}")
        return Verdict("wrong", f"{checks.as_number(got):.4f} but torch gives {want:.4f} for this design, "
                                "F.binary_cross_entropy_with_logits(logits[mask], tags[mask], pos_weight=pos_weight). "
                                "Hint: start from F.logsigmoid(logits) and F.logsigmoid(-logits), then pos_weight, "
                                "mask, mean")
    return None


def check_tag_design(tag_loss, pos_weight, train) -> Verdict:
    """The capstone: tag_loss matches torch's masked BCE with pos_weight, and training with it
    (the lesson's `train(loss_fn, pos_weight)`) flags the rare tag on exactly the words that the
    help desk's costs make worth flagging (which also beats the unweighted loss's recall)."""
    if checks.unanswered(tag_loss) or checks.unanswered(pos_weight):
        return Verdict("unanswered", checks.NOT_ANSWERED)
    pw = _as_pos_weight(pos_weight, len(TAGS))
    if pw is None:
        return Verdict("wrong", f"POS_WEIGHT must be {len(TAGS)} positive numbers, one per tag "
                                f"{TAGS}; got {pos_weight!r}")
    mismatch = _compare(tag_loss)
    if mismatch is not None:
        return mismatch
    others = [f"'{TAGS[k]}' {float(pw[k]):g}" for k in range(len(TAGS)) if k != RARE and abs(float(pw[k]) - 1) > 1e-9]
    if others:
        return Verdict("wrong", f"your loss matches torch, but POS_WEIGHT gives {', '.join(others)}. Hint: the costs "
                                f"are stated only for '{TAGS[RARE]}'; for the other tags a miss and a false alarm "
                                "count alike, so their pos_weight stays 1 (another value moves their threshold too)")
    tokens, tags, mask = tagging_data(400, seed=1)       # fresh messages, never trained on
    try:
        table = torch.as_tensor(train(tag_loss, pw.clone()))
        baseline = torch.as_tensor(train(tag_loss_torch, None))
    except Exception as exc:
        return Verdict("wrong", f"training raised {type(exc).__name__}: {str(exc)[:200]}")
    if table.shape != (len(WORDS), len(TAGS)):
        return Verdict("wrong", f"train must return the [V, K] = [{len(WORDS)}, {len(TAGS)}] table; "
                                f"got {list(table.shape)}")
    recall, precision = recall_precision(table[tokens], tags, mask)
    base_recall, _ = recall_precision(baseline[tokens], tags, mask)
    found = (f"'{TAGS[RARE]}' recall on 400 new messages {recall[RARE]:.4f} "
             f"(unweighted {base_recall[RARE]:.4f}), precision {precision[RARE]:.4f}")
    flagged = [WORDS[w] for w in range(1, len(WORDS)) if table[w, RARE] > 0]
    wanted = words_worth_flagging()
    if recall[RARE] <= base_recall[RARE]:
        return Verdict("wrong", f"your loss matches torch, but {found}. Hint: pos_weight for "
                                f"'{TAGS[RARE]}' must be large enough to lift its positives over q = 0.5 "
                                "where the costs say so: the best q of a word with rate f is w·f / (w·f + 1 − f)")
    missing = [w for w in wanted if w not in flagged]
    extra = [w for w in flagged if w not in wanted]
    if missing:
        return Verdict("wrong", f"your loss matches torch; it flags {flagged} as '{TAGS[RARE]}' but not {missing}. "
                                f"Hint: pos_weight for '{TAGS[RARE]}' is too small for the costs (a miss costs "
                                f"{MISS_COST} false alarms): flagging a word with rate f pays when {MISS_COST}·f > 1 − f; "
                                "the best q is w·f / (w·f + 1 − f), which crosses 0.5 when w > (1 − f) / f")
    if extra:
        return Verdict("wrong", f"your loss matches torch; it flags {flagged} as '{TAGS[RARE]}', including {extra}. "
                                f"Hint: pos_weight for '{TAGS[RARE]}' is larger than the costs justify: for those words "
                                f"{MISS_COST}·f < 1 − f, so their false alarms cost more than the misses they save")
    return Verdict("correct", f"your loss matches torch on {len(tag_loss_cases())} cases; it flags {flagged} "
                              f"as '{TAGS[RARE]}'; {found}")

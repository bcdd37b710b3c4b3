"""Lesson 04 (mm_surprise_game): the checkers of the lesson's exercises.

    check_long_run        predict-then-check: where the running mean settles, H(p, q)
    check_surprise_bits   the total surprise of two candies, in bits (the guess plays no part)
    check_future_belief   applied: a belief built from candies seen, scored on a hidden bag's future
    check_mild_vs_confident
    check_floor_belief    applied: the least surprising belief on some draws that keeps every colour >= a floor
"""
from __future__ import annotations

import math

import numpy as np

from ... import checks, losses, validate
from ...data import COLOURS, get_mix, load_mixes
from . import DEMO_BAG, LN2, fmt, hidden_game


def check_long_run(answer, belief: str = "plain_1997", bag: str = DEMO_BAG, mixes=None) -> checks.Verdict:
    """Predict-then-check: where the running mean settles when you believe one mix and draw from another."""
    mixes = load_mixes() if mixes is None else mixes
    p, q = get_mix(bag, mixes).probs, get_mix(belief, mixes).probs
    right = losses.cross_entropy_probs(p, q)
    return checks.check_number(answer, right, mistakes={
        "that is H(q, p): the arguments are swapped. Average over the bag's colours (weights p) "
        "the surprise of your belief, −log q": losses.cross_entropy_probs(q, p),
        "that is the floor H(p), where a belief equal to the bag settles; yours is another mix": losses.entropy(p),
        "that is KL(p‖q), the gap only; the running mean settles on H(p) + KL(p‖q)": losses.kl_divergence(p, q),
        "that is ln 6, where the uniform belief settles; your belief is not uniform": math.log(len(COLOURS)),
        "that is H(q), the entropy of your belief: weight the surprises by the bag's p, not by q": losses.entropy(q),
        "that is in bits; the course works in nats (use the natural log)": losses.to_bits(right),
    }, hint="the mean surprise settles on H(p, q) = −Σ p(c) log q(c): p from the bag, q from your belief")


def check_surprise_bits(answer, seen=("red", "blue"), guess: str = "blue", belief: str = "peanut_2006",
                        mixes=None) -> checks.Verdict:
    """Exercise: your total surprise, in bits, for the candies `seen` when you believe a mix (and guessed)."""
    mixes = load_mixes() if mixes is None else mixes
    q = get_mix(belief, mixes).as_dict()
    bits = [-math.log2(q[c]) for c in seen]
    right = sum(bits)
    mistakes = {
        "that is in nats; divide by ln 2 for bits": right * LN2,
        "that is the mean per candy; the question asks for the total": right / len(seen),
        "that is the probability of the candies; the surprise is −log₂ of it": math.prod(q[c] for c in seen),
        "that is log base 10; bits are log base 2": right * LN2 / math.log(10),
        "your guess does not enter the surprise: each candy costs −log₂ q(its own colour)":
            -len(seen) * math.log2(q[guess]),
    }
    right_guesses = [b for c, b in zip(seen, bits) if c != guess]
    if right_guesses and len(right_guesses) < len(seen):
        mistakes["a candy you guessed right costs surprise too: −log₂ q(" + guess + ") > 0 unless q = 1. "
                 "Add every candy's surprise"] = sum(right_guesses)
    return checks.check_number(answer, right, mistakes=mistakes,
                               hint="add −log₂ q(colour) over the candies that came out")


FUTURE_SEED = 2023   # the applied exercise's hidden bag (not game 2's 0, 1, 2, ... nor the demo's)


def _belief(answer, n: int):
    """A belief from a learner's answer, or a Verdict saying what is wrong with it."""
    try:
        q = validate.as_array(answer, "answer")
    except ValueError:
        return checks.Verdict("wrong", f"expected six probabilities, one per colour {list(COLOURS)}")
    if q.shape != (len(COLOURS),):
        return checks.Verdict("wrong", f"expected six probabilities, one per colour; got shape {list(q.shape)}")
    if not np.all(np.isfinite(q)) or np.any(q < 0):
        return checks.Verdict("wrong", "probabilities are finite numbers >= 0")
    total = float(q.sum())
    if abs(total - n) < 1e-9 and n != 1:
        return checks.Verdict("wrong", "those are counts; a belief sums to 1. Hint: divide by the number of candies")
    if abs(total - 100) < 1e-6:
        return checks.Verdict("wrong", "those are percentages; a belief sums to 1. Hint: divide by 100")
    if abs(total - 1) > 1e-6:
        return checks.Verdict("wrong", f"your belief sums to {total:.4f}; a belief sums to 1")
    return q


def check_future_belief(answer, seed: int = FUTURE_SEED, n_seen: int = 30) -> checks.Verdict:
    """Applied: a belief built from n_seen candies of a hidden bag, scored on future candies by H(p, q).

    Correct when its future surprise is finite, below the raw frequencies', and at least half
    of the way from the uniform belief's score down to the floor H(p): it must use the counts
    and keep every colour possible.
    """
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    q = _belief(answer, n_seen)
    if isinstance(q, checks.Verdict):
        return q
    game = hidden_game(seed=seed, n_draws=n_seen, reveal=True)
    p, freqs, counts = game["p"], game["freqs"], game["counts"]
    mine, uniform, raw, floor = (losses.cross_entropy_probs(p, q), game["uniform_score"], game["freqs_score"],
                                 game["entropy"])
    target = uniform - 0.5 * (uniform - floor)
    unseen = [c for c, k in zip(COLOURS, counts) if k == 0]
    if np.allclose(q, freqs, atol=1e-6):
        return checks.Verdict("wrong", f"those are the raw frequencies: they give {', '.join(unseen) or 'no colour'} "
                                       "a belief of 0, and the bag has some; the first one costs ∞. Smooth them")
    if np.allclose(q, 1 / len(COLOURS), atol=1e-6):
        return checks.Verdict("wrong", f"the uniform belief ignores the candies you saw: it scores {fmt(uniform)}. "
                                       "Use the counts, smoothed")
    zero = [c for c, qc, pc in zip(COLOURS, q, p) if qc == 0 and pc > 0]
    if zero:
        return checks.Verdict("wrong", f"your belief gives {', '.join(zero)} exactly 0, and the bag has some: "
                                       "the first one costs ∞. Keep every colour above 0")
    if mine < min(target, raw):
        return checks.Verdict("correct", f"your future surprise H(p, q) = {fmt(mine)} nats: from the uniform "
                                         f"belief's {fmt(uniform)} more than half way down to the floor {fmt(floor)}")
    sliver = [c for c in unseen if q[COLOURS.index(c)] < 0.5 / (n_seen + len(COLOURS))]
    if sliver:
        why = (f"you left {', '.join(sliver)}, never seen yet, only a sliver of belief, and such a colour can "
               "still come out. Hint: add the same amount, such as 1, to every count before you divide")
    elif mine >= uniform:
        why = "that is no better than the uniform belief. Hint: start from the counts and add 1 to each"
    else:
        why = "that is close to the uniform belief: follow the counts more. Hint: add 1 to each count"
    return checks.Verdict("wrong", f"your future surprise H(p, q) = {fmt(mine)} nats; the target is below "
                                   f"{fmt(target)} (half way from the uniform belief's {fmt(uniform)} to the "
                                   f"floor {fmt(floor)}): {why}")


def check_mild_vs_confident(answer, q_mild: float = 0.5, q_confident: float = 1e-4) -> checks.Verdict:
    """Exercise: how many mild misses (q = 0.5) cost as much surprise as one at q = 0.0001?"""
    right = math.log(q_confident) / math.log(q_mild)
    return checks.check_number(answer, right, tol=1e-3, mistakes={
        "you compared probabilities (0.5 / 0.0001); compare surprises, −log q": q_mild / q_confident,
        "you compared 1 − q, not −log q": (1 - q_confident) / (1 - q_mild),
    }, hint="divide the surprise of the confident miss, −log 0.0001, by that of a mild one, −log 0.5")


def check_floor_belief(answer, counts, floor: float = 0.05) -> checks.Verdict:
    """Applied: the belief least surprised by these draws among beliefs that keep every colour >= floor.

    The checker scores the learner's belief on the draws (mean surprise, nats) and compares it with
    the best the rule allows: the colours never drawn at the floor, the rest shared by the counts.
    """
    if checks.unanswered(answer):
        return checks.Verdict("unanswered", checks.NOT_ANSWERED)
    c = validate.as_array(counts, "counts")
    n = float(c.sum())
    q = _belief(answer, int(n))
    if isinstance(q, checks.Verdict):
        return q
    seen, unseen = c > 0, [col for col, k in zip(COLOURS, c) if k == 0]

    def score(belief):                                  # mean surprise on the draws, nats
        with np.errstate(divide="ignore"):
            return float(-(c[seen] * np.log(belief[seen])).sum() / n)

    best_q = np.where(seen, (1 - floor * len(unseen)) * c / n, floor)
    mine, best = score(q), score(best_q)
    low = [col for col, qc in zip(COLOURS, q) if qc < floor - 1e-9]
    if np.allclose(q, c / n, atol=1e-6):
        return checks.Verdict("wrong", f"those are the plain frequencies: the least surprising on these draws, but "
                                       f"they give {', '.join(unseen)} 0, below the rule's {floor}")
    if low:
        near = all(floor / 1.25 <= q[COLOURS.index(col)] for col in low)
        return checks.Verdict("wrong", f"your belief gives {', '.join(low)} less than the rule's floor {floor}" + (
            ": raising a colour to the floor and then dividing by the new total pulls it back under the floor; "
            "fix those colours at the floor first, then share what is left" if near else ""))
    if mine <= best + 1e-5:
        return checks.Verdict("correct", f"{fmt(mine)} nats of mean surprise on these {int(n)} candies, "
                                         "the lowest the rule allows")
    if mine <= best + 2e-3:
        return checks.Verdict("close", f"mean surprise {fmt(mine)} nats, just above the {fmt(best)} the rule allows: "
                                       "share what the floor leaves exactly in proportion to the counts")
    extra = [col for col in unseen if q[COLOURS.index(col)] > floor + 1e-6]
    if np.allclose(q, (c + 1) / (n + len(c)), atol=1e-3):
        why = ("that is add-one smoothing: it follows the rule, but it gives every colour an extra count. "
               "On these draws only the colours that came out cost you surprise")
    elif extra:
        why = (f"{', '.join(extra)} never came out, so belief in them is never scored on these draws, but "
               f"every bit of it is taken from the colours that did come out, which then surprise you more: "
               f"give them only the floor {floor}, and the rest to the colours that came out")
    else:
        why = (f"the colours that came out should share what is left ({1 - floor * len(unseen):.2f}) in proportion "
               "to their counts: the frequencies are least surprising, section 7")
    return checks.Verdict("wrong", f"mean surprise {fmt(mine)} nats on these draws; the rule allows "
                                   f"{fmt(best)}: {why}")

"""Lesson 09's tiny descent for the multi-label demo: full-batch gradient descent (one thread: `import helpers` sets it)."""
from __future__ import annotations

import torch


def descend(params, loss_fn, steps: int, lr: float) -> None:
    """Plain full-batch gradient descent on `params`, in place."""
    for _ in range(steps):
        for p in params:
            p.grad = None
        loss_fn().backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad

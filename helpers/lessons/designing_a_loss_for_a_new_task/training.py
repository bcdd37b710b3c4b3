"""Lesson 09's tiny training loops: full-batch gradient descent (one thread: `import helpers` sets it)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def descend(params, loss_fn, steps: int, lr: float) -> None:
    """Plain full-batch gradient descent on `params`, in place."""
    for _ in range(steps):
        for p in params:
            p.grad = None
        loss_fn().backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad


def train_linear(x, y, n_classes: int, weight=None, steps: int = 300, lr: float = 0.5):
    """Softmax regression by full-batch gradient descent from zeros (no randomness): W [2, C], b [C]."""
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.long)
    w = None if weight is None else torch.as_tensor(weight, dtype=torch.float64)
    W = torch.zeros(xt.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    descend([W, b], lambda: F.cross_entropy(xt @ W + b, yt, weight=w), steps, lr)
    return W.detach().numpy(), b.detach().numpy()

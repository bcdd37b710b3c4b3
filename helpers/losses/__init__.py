"""Reference losses in numpy (float64), all in nats: every loss the course defines.

Each is written out in the lesson that teaches it, compared there with this reference and
with `torch.nn.functional`, and imported from here by later lessons (`from helpers import
losses`; `losses.cross_entropy(...)`). Every one accepts Python lists, numpy arrays or
torch tensors; bad input raises ValueError naming the problem (helpers.validate).

    module           losses                                             taught in lesson
    classification   log_softmax, softmax                               01 log_softmax_and_shapes
                     nll, cross_entropy                                 03 nll_and_cross_entropy
                     smooth_targets, sequence_loss                      09 designing_a_loss_for_a_new_task
    information      entropy, cross_entropy_probs, kl_divergence,       03 nll_and_cross_entropy
                     to_bits; surprise                                  (surprise: 00 start_here, 04 mm_surprise_game)
    regression       mse, mae, huber, gaussian_nll                      06 regression_losses_mse
    binary           sigmoid, bernoulli_likelihood, bce,                07 binary_cross_entropy_and_max_margin
                     bce_with_logits
    hinge            binary_hinge, multiclass_hinge                     07 binary_cross_entropy_and_max_margin
    reduction        reduce ('mean', 'sum', 'none'): every loss with `reduction=`

Bigram NLL (a count model's loss) lives with the names data: `helpers.data.bigram_nll`.
"""
from .binary import TORCH_LOG_FLOOR, bce, bce_with_logits, bernoulli_likelihood, sigmoid
from .classification import cross_entropy, log_softmax, nll, sequence_loss, smooth_targets, softmax
from .hinge import binary_hinge, multiclass_hinge
from .information import cross_entropy_probs, entropy, kl_divergence, surprise, to_bits
from .reduction import REDUCTIONS, reduce
from .regression import gaussian_nll, huber, mae, mse

__all__ = [
    "TORCH_LOG_FLOOR", "bce", "bce_with_logits", "bernoulli_likelihood", "sigmoid",
    "cross_entropy", "log_softmax", "nll", "sequence_loss", "smooth_targets", "softmax",
    "binary_hinge", "multiclass_hinge",
    "cross_entropy_probs", "entropy", "kl_divergence", "surprise", "to_bits",
    "REDUCTIONS", "reduce",
    "gaussian_nll", "huber", "mae", "mse",
]

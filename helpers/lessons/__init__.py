"""One module per lesson: its pure compute functions, figure views, widgets and checkers.

A lesson's module is named after its notebook without the number, so renumbering a
lesson renames nothing here. Every notebook imports its own lesson the same way:

    from helpers.lessons import nll_and_cross_entropy as lesson
    lesson.gradient_widget()

Widget factories end in `_widget` (tests/test_lesson_widgets.py builds every one with
its defaults); exercise checkers start with `check_`. A lesson that outgrows one module
(400 lines) is a package of the same name: its `__init__.py` is what the notebook calls,
and its other modules hold parts by job (`views.py`: figures and readouts).

    00 start_here                              surprise widget
    01 log_softmax_and_shapes                  softmax temperature widget
    02 likelihood_vs_probability/              binomial likelihood, three MLEs, the two-views widget (views.py)
    03 nll_and_cross_entropy                   the gradient widget, the toy data, the exercise checkers
    04 mm_surprise_game/                       the M&M surprise game (views.py: figures; exercises.py: checkers)
    05 initialization_and_loss_estimation      the character MLP, initializations, the output-scale widget
    06 regression_losses_mse                   line fits under MSE / MAE / Huber, the outlier widget
    07 binary_cross_entropy_and_max_margin     losses against the margin, the margin widget
    08 regularization_and_overfitting/         ridge regression, weight decay, add-α smoothing (views.py)
    09 designing_a_loss_for_a_new_task/        masks, label smoothing, class weights, multi-label, temperature
    10 scoring_a_model/                        perplexity, accuracy vs cross-entropy, proper scores, calibration, KL (views.py)
    11 losses_built_from_cross_entropy/        distillation, InfoNCE / CLIP, DPO: the τ and β widgets (views.py)

Shared code is one level up: `helpers.losses` (reference losses), `helpers.data` (data sets
and the bigram model), `helpers.checks` (generic checkers), `helpers.validate` (input
checks), `helpers.plots` and `helpers.widgets`.
"""

"""Helpers for the loss-functions course.

Shared modules, one job each:
    losses      every reference loss the course defines, in numpy (float64, nats), checked
                against torch; a package: classification, information, regression, binary,
                hinge, reduction (its docstring maps each loss to the lesson that teaches it)
    data        the data sets (names, M&M colour mixes) and the bigram count model
    checks      exercise checkers that give instant, friendly feedback
    validate    input checks shared by every module: clear errors, never a silent wrong number
    plots       figures built once and updated in place
    widgets     sliders wired to pure functions (Lesson, LiveFigure): the pattern every widget uses

One module per lesson, named after its notebook without the number, in `helpers.lessons`
(`from helpers.lessons import nll_and_cross_entropy as lesson`): that lesson's pure
functions, figure views, widgets (`*_widget`) and exercise checkers (`check_*`).

Importing the package limits torch to one CPU thread (helpers.threads; OMP_NUM_THREADS overrides).
"""
from helpers import threads as _threads

_threads.limit()

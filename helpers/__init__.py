"""Helpers for the loss-functions course.

Shared modules, one job each:
    losses      reference losses in numpy (float64, nats), checked against torch
    checks      exercise checkers that give instant, friendly feedback
    plots       figures built once and updated in place
    widgets     sliders wired to pure functions (Lesson, LiveFigure): the pattern every widget uses
    names       the first-names data set: loading, vocabulary, splits, datasets

One module per lesson topic (its pure functions, widget view and exercise checkers):
    surprise_curve (00), softmax_demo (01), likelihood (02), ce_demo (03), mm (04),
    init_demo (05), regression (06), binary (07), regularization (08), task_losses (09)
and, in the layout the course is moving to, helpers/lessons/<notebook name without its number>.py:
    lessons.losses_built_from_cross_entropy (11)
"""

"""Helpers for the loss-functions course.

Modules, one job each:
    losses   reference losses in numpy (float64, nats), checked against torch
    checks   exercise checkers that give instant, friendly feedback
    plots    figures built once and updated in place
    widgets  sliders wired to pure functions, the pattern every lesson widget uses
"""

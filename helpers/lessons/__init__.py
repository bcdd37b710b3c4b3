"""One module per lesson: its pure functions, figure views, widget factories (`*_widget`) and checkers (`check_*`).

The module's name is the notebook's name without its number, and every notebook imports its
own lesson the same way:

    from helpers.lessons import scoring_a_model as lesson     # notebooks/10_scoring_a_model.ipynb
"""

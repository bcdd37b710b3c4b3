"""One module per lesson: its data preparation, figure views, widget factories (`*_widget`)
and exercise checkers (`check_*`). A notebook imports its own lesson module as

    from helpers.lessons import losses_built_from_cross_entropy as lesson

The module's name is the notebook's name without its number, so renumbering a lesson
renames nothing.
"""

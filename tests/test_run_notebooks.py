"""tools.run_notebooks: the stored outputs of `make outputs`."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.run_notebooks import merge_streams


def test_consecutive_prints_of_one_stream_are_stored_as_one_output():
    cell = new_code_cell("", outputs=[
        new_output("stream", name="stdout", text="step 0\n"),
        new_output("stream", name="stdout", text="step 50\n"),
        new_output("stream", name="stderr", text="a warning\n"),
        new_output("stream", name="stdout", text="step 100\n"),
        new_output("display_data", data={"text/plain": "a figure"}),
        new_output("stream", name="stdout", text="after the figure\n"),
        new_output("stream", name="stdout", text="done\n"),
    ])
    nb = new_notebook(cells=[new_markdown_cell("text"), cell])
    merge_streams(nb)
    got = [(o.output_type, o.get("name"), o.get("text")) for o in nb.cells[1].outputs]
    assert got == [("stream", "stdout", "step 0\nstep 50\n"), ("stream", "stderr", "a warning\n"),
                   ("stream", "stdout", "step 100\n"), ("display_data", None, None),
                   ("stream", "stdout", "after the figure\ndone\n")]
    nbformat.validate(nb)

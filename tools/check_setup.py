"""After installing: check that JupyterLab will show widgets as widgets, not as text.

Sliders render only when the widget manager (jupyterlab_widgets) is installed in the
same environment as JupyterLab (jupyter-widgets/ipywidgets#3965). This fails the setup
loudly instead of letting a learner meet `IntSlider(...)` printed as text.
"""
import re
import subprocess
import sys


def widget_manager_installed() -> bool:
    """True when JupyterLab in this environment lists the widget manager extension."""
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # drop colour codes
    return any(
        "@jupyter-widgets/jupyterlab-manager" in line and "enabled" in line and "OK" in line
        for line in text.splitlines()
    )


def main() -> int:
    import ipywidgets  # noqa: F401  (fails loudly if the install is broken)
    import jupyterlab_widgets  # noqa: F401
    if not widget_manager_installed():
        print("setup problem: JupyterLab does not list @jupyter-widgets/jupyterlab-manager;"
              " sliders would show as text. Run `make clean lab` to rebuild .venv.", file=sys.stderr)
        return 1
    print("setup ok: JupyterLab and the widget manager are installed together in .venv")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Course tooling: setup checks, the JupyterLab launcher, notebook navigation and execution."""

"""Start JupyterLab for the course: on 127.0.0.1 only, with a random token, at notebook 00.

`make lab` runs this file. The browser tests start the server with the same
`lab_command`, so what they check is what a learner gets.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_NOTEBOOK = "notebooks/00_start_here.ipynb"
HOST = "127.0.0.1"
# The server and its kernels create files, folders and kernel sockets for their user only.
UMASK = 0o077
# "kernel-<36-character id>-ipc-<n>": the name of a kernel's socket in the runtime folder
IPC_NAME_LENGTH = len("kernel-") + 36 + len("-ipc-99")


def free_port(preferred: int = 8888) -> int:
    """The preferred port if it is free on loopback, else any free one."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


def new_token() -> str:
    """A fresh random token; the course never runs JupyterLab without one."""
    return secrets.token_hex(24)


def lab_url(port: int, token: str, path: str = FIRST_NOTEBOOK) -> str:
    return f"http://{HOST}:{port}/lab/tree/{path}?token={token}"


def kernel_transport(runtime_dir: str | None = None) -> str:
    """"ipc" (Unix sockets in the user's own runtime folder) where the platform has it, else "tcp".

    Over loopback TCP any local process can connect to a kernel's ports and read what it
    prints (messages are signed, not encrypted); a Unix socket in a 0700 folder, created
    under umask 077, only its owner can open. A socket's path must fit in sockaddr_un
    (107 bytes on Linux), so a very deep runtime folder falls back to TCP.
    """
    if os.name != "posix":
        return "tcp"
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir
        runtime_dir = jupyter_runtime_dir()
    limit = 103 if sys.platform == "darwin" else 107  # sizeof(sockaddr_un.sun_path) - 1
    return "ipc" if len(os.path.join(runtime_dir, "")) + IPC_NAME_LENGTH <= limit else "tcp"


def lab_command(port: int, token: str, *, root: Path = ROOT, open_browser: bool = True,
                is_root: bool | None = None, transport: str | None = None) -> list[str]:
    """The command line that starts the course's JupyterLab (run it with umask UMASK)."""
    if not token:
        raise ValueError("a JupyterLab token is required: the course never disables it")
    if is_root is None:
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    transport = transport or kernel_transport()
    cmd = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
        # no calls home: the course runs offline
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        f"--KernelManager.transport={transport}",
    ]
    if is_root:  # containers run as root; Jupyter refuses that without the flag
        cmd.append("--allow-root")
    return cmd


def main() -> int:
    port = free_port(int(os.environ.get("PORT", "8888")))
    token = os.environ.get("JUPYTER_TOKEN") or new_token()
    cmd = lab_command(port, token)
    bar = "=" * 78
    print(f"{bar}\nJupyterLab is starting. Open the course at:\n\n    {lab_url(port, token)}\n\n"
          f"(Stop it with Ctrl-C in this terminal.)\n{bar}", flush=True)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    try:
        return subprocess.call(cmd, cwd=ROOT, env=env, umask=UMASK)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""The security promise of `make lab`: a token is required, and only this machine can connect.

The server is started with tools.lab.lab_command, exactly as `make lab` starts it. No
browser is needed, so these tests run even where Chromium is missing.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

API_PATHS = ["/api/contents", "/api/kernels", "/api/sessions", "/api/terminals", "/api/kernelspecs"]
LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (little-endian hex)


@pytest.mark.parametrize("path", API_PATHS)
def test_api_refuses_requests_without_the_token(lab_server, path):
    status, body = lab_server.api(path, token=False)
    assert status == 403, f"GET {path} without a token answered {status}: {body[:300]}"


def test_api_refuses_a_wrong_token(lab_server):
    good = lab_server.token
    try:
        lab_server.token = "0" * len(good)
        status, _ = lab_server.api("/api/contents")
    finally:
        lab_server.token = good
    assert status == 403


def test_api_answers_with_the_token(lab_server):
    # the positive control: the 403s above come from the token check, not a broken server
    status, body = lab_server.api("/api/contents/notebooks")
    assert status == 200, body[:300]
    assert json.loads(body)["type"] == "directory"


def test_lab_page_without_token_does_not_show_the_course(lab_server):
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(lab_server.base + "/lab/tree/notebooks", timeout=10) as r:
            status, location = r.status, r.headers.get("Location", "")
    except urllib.error.HTTPError as e:
        status, location = e.code, e.headers.get("Location", "")
    # JupyterLab sends a browser without the token to its login page
    assert status in (302, 403), status
    if status == 302:
        assert "/login" in location, location


def _listening_sockets() -> dict[int, tuple[str, int]]:
    """inode -> (local address hex, port) of every listening TCP socket (Linux /proc)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            local, state, inode = f[1], f[3], int(f[9])
            if state == "0A":  # LISTEN
                addr, port = local.split(":")
                found[inode] = (addr, int(port, 16))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process has ended (or is not ours to look at)
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _start_kernel(lab_server, timeout: float = 60) -> tuple[str, Path]:
    """Start a kernel through the server's API; wait until its channels are bound. (id, connection file)"""
    from jupyter_core.paths import jupyter_runtime_dir

    status, body = lab_server.api("/api/kernels", method="POST")
    assert status == 201, body[:300]
    kernel_id = json.loads(body)["id"]
    cf = Path(jupyter_runtime_dir()) / f"kernel-{kernel_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # a kernel takes a second or two to bind its channels
        if _channels_bound(cf):
            return kernel_id, cf
        time.sleep(0.25)
    lab_server.api(f"/api/kernels/{kernel_id}", method="DELETE")
    raise TimeoutError(f"kernel {kernel_id}: channels not bound after {timeout} s; connection file {cf}")


def _channels_bound(cf: Path) -> bool:
    """Every channel in the connection file is bound (a socket file for ipc, a listening port for tcp)."""
    try:
        info = json.loads(cf.read_text())
    except (OSError, ValueError):
        return False
    if info.get("transport") == "ipc":
        return all(Path(f"{info['ip']}-{info[c]}").exists() for c in CHANNELS)
    listening = {port for _, port in _listening_sockets().values()}
    return all(info[c] in listening for c in CHANNELS)


CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets: Linux and macOS (elsewhere kernels use loopback TCP)")
def test_kernel_channels_are_unix_sockets_only_their_owner_can_use(lab_server):
    import stat

    kernel_id, cf = _start_kernel(lab_server)
    try:
        info = json.loads(cf.read_text())
        assert info["transport"] == "ipc", f"the kernel's connection file says {info['transport']!r}"
        runtime = cf.parent
        assert runtime.stat().st_uid == os.getuid()
        assert stat.S_IMODE(runtime.stat().st_mode) & 0o077 == 0, f"{runtime}: {oct(runtime.stat().st_mode)}"
        for channel in CHANNELS:
            sock = Path(f"{info['ip']}-{info[channel]}")
            st = sock.stat()
            assert stat.S_ISSOCK(st.st_mode), f"{channel}: {sock} is not a Unix socket"
            assert sock.parent == runtime, f"{sock} is outside the user's runtime folder {runtime}"
            assert st.st_uid == os.getuid()
            assert stat.S_IMODE(st.st_mode) & 0o077 == 0, f"{sock} is open to others: {oct(st.st_mode)}"
        assert stat.S_IMODE(cf.stat().st_mode) & 0o077 == 0, "the connection file (with its key) is open to others"
    finally:
        lab_server.api(f"/api/kernels/{kernel_id}", method="DELETE")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc to list sockets")
def test_server_and_kernel_listen_on_loopback_only(lab_server):
    kernel_id, _ = _start_kernel(lab_server)
    try:
        server_pid = lab_server.proc.pid
        kernel_pids = _children(server_pid)
        assert kernel_pids, "no kernel process found under the server"
        listening = _listening_sockets()
        server = {listening[i] for i in _socket_inodes(server_pid) if i in listening}
        kernel = {listening[i] for pid in kernel_pids for i in _socket_inodes(pid) if i in listening}
        assert lab_server.port in {port for _, port in server}, f"the server's port is not among {server}"
        wide = {port: addr for addr, port in server | kernel if addr != LOOPBACK_V4}
        assert not wide, (f"listening beyond 127.0.0.1 (port: address as in /proc/net/tcp): {wide}; "
                          f"the course's JupyterLab must be reachable from this machine only")
        # over IPC a kernel listens on no TCP port but ipykernel's one internal forwarder of
        # subprocess output (loopback, guarded by a random id)
        if os.name == "posix":
            assert len(kernel) <= 1, f"the kernel listens on TCP ports {kernel}: its channels should be Unix sockets"
    finally:
        lab_server.api(f"/api/kernels/{kernel_id}", method="DELETE")


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed; connect() only picks a source
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


def test_server_refuses_connections_from_other_addresses(lab_server):
    addr = _non_loopback_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        with pytest.raises(ConnectionRefusedError):
            s.connect((addr, lab_server.port))
    # and on loopback it does answer
    assert lab_server.api("/api/status")[0] == 200

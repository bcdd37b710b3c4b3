"""How `make lab` starts JupyterLab: loopback, a token, --allow-root only as root."""
import socket

import pytest

from tools import check_setup, lab


def test_command_binds_loopback_with_a_token():
    cmd = lab.lab_command(8888, "abc123", is_root=False)
    assert "--ServerApp.ip=127.0.0.1" in cmd
    assert "--IdentityProvider.token=abc123" in cmd
    assert "--allow-root" not in cmd
    assert not any(c.endswith("token=") or "token=''" in c for c in cmd)
    assert any(c.endswith("00_start_here.ipynb") for c in cmd)


def test_allow_root_only_as_root():
    assert "--allow-root" in lab.lab_command(8888, "t", is_root=True)


def test_an_empty_token_is_refused():
    with pytest.raises(ValueError, match="token is required"):
        lab.lab_command(8888, "")


def test_tokens_are_random_and_long():
    a, b = lab.new_token(), lab.new_token()
    assert a != b and len(a) >= 32


def test_free_port_is_bindable_and_falls_back_when_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        port = lab.free_port(busy)
        assert port != busy
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_url_opens_the_first_notebook():
    url = lab.lab_url(8888, "tok")
    assert url == "http://127.0.0.1:8888/lab/tree/notebooks/00_start_here.ipynb?token=tok"


def test_widget_manager_is_installed_next_to_jupyterlab():
    assert check_setup.widget_manager_installed()


def test_kernels_use_unix_sockets_where_the_platform_has_them(monkeypatch):
    cmd = lab.lab_command(8888, "t", is_root=False, transport="ipc")
    assert "--KernelManager.transport=ipc" in cmd
    assert "--KernelManager.transport=tcp" in lab.lab_command(8888, "t", is_root=False, transport="tcp")
    if lab.os.name == "posix":
        assert lab.kernel_transport("/home/learner/.local/share/jupyter/runtime") == "ipc"
    monkeypatch.setattr(lab.os, "name", "nt")
    assert lab.kernel_transport("C:/Users/x/AppData/Roaming/jupyter/runtime") == "tcp"


def test_a_runtime_folder_too_deep_for_a_socket_path_falls_back_to_tcp():
    # sockaddr_un holds 107 bytes: a kernel's socket name is about 50 of them
    assert lab.kernel_transport("/" + "d" * 60) == "tcp"
    assert lab.kernel_transport("/" + "d" * 40) == ("ipc" if lab.os.name == "posix" else "tcp")


def test_the_server_runs_with_a_private_umask():
    assert lab.UMASK == 0o077

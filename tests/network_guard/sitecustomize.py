"""Loaded by Python at start-up when this folder is on PYTHONPATH (tests/test_classroom.py).

It makes any connection to a non-loopback address fail, so a notebook that needs the
network fails its test instead of quietly depending on it. The kernel's own ZeroMQ
sockets are on 127.0.0.1 and unaffected.
"""
import socket

LOCAL = {"127.0.0.1", "::1", "localhost"}
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL:
        raise OSError(f"network access is blocked while testing the course: {address[0]}")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL and host is not None:
        raise OSError(f"network access is blocked while testing the course: {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

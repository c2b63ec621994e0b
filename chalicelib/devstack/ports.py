"""Local ports of the dev stack, each overridable, checked free before anything starts."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Ports:
    ui: int = 8080
    api: int = 8000
    moto: int = 5000

    @classmethod
    def from_env(cls) -> Ports:
        def read(name: str, default: int) -> int:
            value = os.environ.get(name, str(default))
            if not value.isdecimal() or not 0 < int(value) < 65536:
                raise ValueError(f"{name}={value!r} is not a port number")
            return int(value)

        return cls(read("LEVANTE_UI_PORT", 8080), read("LEVANTE_API_PORT", 8000), read("LEVANTE_MOTO_PORT", 5000))

    def busy(self) -> list[str]:
        """One line per port already taken, naming the variable that moves it."""
        problems = []
        for name, port, var in (("dashboard", self.ui, "LEVANTE_UI_PORT"), ("API", self.api, "LEVANTE_API_PORT"),
                                ("moto", self.moto, "LEVANTE_MOTO_PORT")):
            if not is_free(port):
                problems.append(f"port {port} ({name}) is already in use: stop what uses it or set {var}=<free port>")
        return problems


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

"""Start and stop the real action server and Rasa server on free loopback ports (tests, `make bench`, `make eval`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests

from spinebot import paths

BIN = paths.PROJECT_ROOT / ".venv" / "bin"
MODEL = paths.MODEL_FILE


# Simulated patients all come from 127.0.0.1 and type faster than people: the rate limits are off
# unless a caller (the hardening tests) passes them in `env_extra`.
NO_RATE_LIMITS = {"SPINEBOT_RATE_PER_SENDER": "off", "SPINEBOT_RATE_PER_ADDRESS": "off"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early ({process.returncode}); log:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout}s; log:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server and its children by process group, escalating to SIGKILL."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_bot(
    workdir: Path, env_extra: Optional[Dict[str, str]] = None, model: Path = MODEL
) -> Iterator[Dict[str, Any]]:
    """Action server and Rasa server on free ports, with a database of their own under `workdir`.

    `model` lets `make bench` serve another model (Rasa's default configuration) the same way.
    """
    actions_port, rasa_port = free_port(), free_port()
    assert port_is_free(actions_port) and port_is_free(rasa_port)
    endpoints = paths.PROJECT_ROOT / "endpoints.yml"
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        SANIC_HOST="127.0.0.1",
        SPINEBOT_DATA_DIR=str(workdir / "var"),
        SPINEBOT_CORS_ORIGINS="*",
        **NO_RATE_LIMITS,
        ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
    )
    env.update(env_extra or {})
    if not (env_extra or {}).get("SPINEBOT_DATABASE_URL"):
        env.pop("SPINEBOT_DATABASE_URL", None)
    logs = {name: workdir / f"{name}.log" for name in ("actions", "rasa")}
    processes: List[subprocess.Popen] = []

    def start_actions() -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(actions_port), "--actions", "actions"],
            cwd=paths.PROJECT_ROOT,
            env=env,
            stdout=logs["actions"].open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def restart_actions() -> None:
        """Stop the action server and start a new one on the same port (state must survive)."""
        stop(processes[0])
        deadline = time.monotonic() + 20
        while not port_is_free(actions_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        processes[0] = start_actions()
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", processes[0], logs["actions"])

    try:
        processes.append(start_actions())
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "rasa"),
                    "run",
                    "--model",
                    str(model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(paths.PROJECT_ROOT / "credentials.yml"),
                    "--port",
                    str(rasa_port),
                    "--cors",
                    *env["SPINEBOT_CORS_ORIGINS"].split(),
                ],
                cwd=paths.PROJECT_ROOT,
                env=env,
                stdout=logs["rasa"].open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", processes[0], logs["actions"])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", processes[1], logs["rasa"])
        yield {
            "rasa": f"http://127.0.0.1:{rasa_port}",
            "actions": f"http://127.0.0.1:{actions_port}",
            "db": str(workdir / "var" / "spinebot.db"),
            "rasa_log": str(logs["rasa"]),
            "actions_port": str(actions_port),
            "rasa_port": str(rasa_port),
            "database_url": f"sqlite:///{workdir / 'var' / 'spinebot.db'}",
            "restart_actions": restart_actions,
            "stop_actions": lambda: stop(processes[0]),
            "pids": {"actions": processes[0].pid, "rasa": processes[1].pid},
        }
    finally:
        for process in reversed(processes):
            stop(process)

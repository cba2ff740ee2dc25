"""`manage.py run_all` (what `make demo` runs): Ctrl-C stops the web server, the worker and beat,
quietly, in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


def _processes_matching(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if text in line and "ps -eo" not in line]


def test_ctrl_c_stops_web_worker_and_beat_with_one_line(tmp_path):
    # given the three running on the embedded defaults (SQLite, a broker on files)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [*manage, "run_all", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # the web server answers (bounded by a count, not by a clock the test relies on)
        for _ in range(600):
            if _answers(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None:
                break
            subprocess.run(["sleep", "0.2"], check=True)
        assert process.poll() is None, process.stdout.read().decode()

        # when Ctrl-C reaches it
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    # then it exits cleanly, says so in its last line, and nothing of the three is left
    lines = output.decode().strip().splitlines()
    assert process.returncode == 0
    assert lines[-1] == "Lojal stopped: web server, worker and beat."
    assert not any("Traceback" in line or "RecursionError" in line for line in lines)
    assert _processes_matching(f"runserver 127.0.0.1:{port}") == []

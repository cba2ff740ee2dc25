"""`manage.py run_all`: the web server, a Celery worker and beat together, for the demo.

Each runs in its own session, so Ctrl-C reaches only this command; it then stops the three
(SIGTERM to each process group, so the dev server's reloader child and the worker's pool go too),
waits for them, and says so in one line. Their output is relayed line by line until the stop
begins and dropped after, so the shutdown chatter of Celery does not bury that line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options) -> None:
        bin_dir = os.path.dirname(sys.executable)
        celery = os.path.join(bin_dir, "celery")
        commands = {
            "worker": [
                celery,
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            "beat": [celery, "-A", "config", "beat", "--loglevel", "INFO"],
            "web": [sys.executable, "manage.py", "runserver", f"{host}:{port}"],
        }
        stopping = threading.Event()
        processes: dict[str, subprocess.Popen] = {}

        def relay(stream) -> None:
            for line in iter(stream.readline, b""):
                if not stopping.is_set():
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()

        for name, command in commands.items():
            process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            processes[name] = process
            threading.Thread(target=relay, args=(process.stdout,), daemon=True).start()

        def stop(signum=None, frame=None) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # Wait for Ctrl-C, or for one of the three to die on its own.
        while not stopping.wait(timeout=1):
            if any(p.poll() is not None for p in processes.values()):
                died = [n for n, p in processes.items() if p.returncode is not None]
                stopping.set()
                self.stderr.write(f"Stopping: {', '.join(died)} exited.")
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("Lojal stopped: web server, worker and beat.")

"""`bnpl run`: the web service and the scheduler under one process, for a single machine.

Each runs as a child process of its own (`bnpl serve`, `bnpl scheduler`), exactly as a larger
install runs them under systemd, so what is tested there is what runs here. A child that dies
is started again, after a pause that doubles while it keeps dying (a crash loop must not spin
the machine). SIGTERM or Ctrl-C stops both: each gets SIGTERM and finishes what it is doing.
"""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("bnpl.run")

POLL_SECONDS = 0.5
MAX_RESTART_DELAY = 30.0
STEADY_SECONDS = 60.0  # a child that ran this long was not crash-looping: its next pause is short again
STOP_TIMEOUT = 30.0  # gunicorn's worker timeout; a scheduler pass is shorter


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]


def bnpl_children(*, host: str, port: int) -> list[Child]:
    """The two processes of a single-machine install."""
    bnpl = [sys.executable, "-m", "bnpl.cli"]
    return [Child("web", [*bnpl, "serve", "--host", host, "--port", str(port)]),
            Child("scheduler", [*bnpl, "scheduler"])]


class Supervisor:
    def __init__(self, children: list[Child], *, restart_delay: float = 1.0):
        self.children = children
        self.restart_delay = restart_delay
        self.processes: dict[str, subprocess.Popen] = {}
        self.restarts = {child.name: 0 for child in children}
        self._started_at: dict[str, float] = {}
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        for child in self.children:
            self._launch(child)
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """SIGTERM to every child, then wait; one that does not finish in time is killed."""
        self._stopping.set()
        if self._watcher:
            self._watcher.join()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name, process in self.processes.items():
            self._reap(name, process)

    def run_until_signalled(self) -> None:
        """The `bnpl run` process: children up until SIGTERM or SIGINT."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stopping.set())
        self.start()
        self._stopping.wait()
        log.info("stopping web and scheduler")
        self.stop()

    def _launch(self, child: Child) -> None:
        # A group of its own: Ctrl-C reaches the supervisor only, which stops each child
        # with SIGTERM (gunicorn's graceful stop; SIGINT would be its quick one).
        process = subprocess.Popen(child.argv, process_group=0)
        self.processes[child.name] = process
        self._started_at[child.name] = time.monotonic()
        log.info("started %s (pid %d)", child.name, process.pid)

    def _watch(self) -> None:
        failures = {child.name: 0 for child in self.children}
        while not self._stopping.wait(POLL_SECONDS):
            for child in self.children:
                code = self.processes[child.name].poll()
                if code is None or self._stopping.is_set():
                    continue
                ran = time.monotonic() - self._started_at[child.name]
                failures[child.name] = 0 if ran >= STEADY_SECONDS else failures[child.name] + 1
                self._restart(child, code, failures[child.name])

    def _restart(self, child: Child, code: int, failures: int) -> None:
        delay = min(self.restart_delay * 2 ** max(failures - 1, 0), MAX_RESTART_DELAY)
        log.error("%s exited with code %s; restarting in %.1f s", child.name, code, delay)
        if self._stopping.wait(delay):
            return
        self.restarts[child.name] += 1
        self._launch(child)

    def _reap(self, name: str, process: subprocess.Popen) -> None:
        try:
            code = process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.error("%s did not stop within %d s: killed", name, STOP_TIMEOUT)
            process.kill()
            code = process.wait()
        log.info("%s stopped (exit code %s)", name, code)

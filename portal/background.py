"""One background worker per process that drains an outbox table (search index updates, mail).

A worker's ``mode`` comes from a setting read each time it is used (a test or a maintenance
script may change it after create_app()):

* ``"thread"``: after a commit that wrote to the outbox, :meth:`notify` wakes a daemon thread;
  the thread also passes every ``poll`` seconds, for rows other processes left behind. Outside
  a request (CLI commands, which may exit right away) the work is done at once instead;
* ``"inline"``: at once, in the committing thread (tests);
* ``"off"``: never here (a separate process or a command does it).

Threads do not survive fork, so each gunicorn worker starts its own (``ensure_started`` runs
before each request and is cheap once the thread runs).
"""
from __future__ import annotations

import os
import threading

from flask import Flask, has_request_context


class OutboxWorker:
    name = "outbox"
    #: the config keys of the mode and of the poll interval (seconds)
    mode_setting = ""
    poll_setting = ""

    def __init__(self, app: Flask, mode: str = "thread"):
        self.app = app
        self.mode = mode
        self._event = threading.Event()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _current_mode(self) -> str:
        self.mode = self.app.config.get(self.mode_setting, self.mode)
        return self.mode

    def notify(self) -> None:
        self._current_mode()
        if self.mode == "inline" or (self.mode == "thread" and not has_request_context()):
            self.run_once()
        elif self.mode == "thread":
            self.ensure_started()
            self._event.set()

    def run_once(self):
        """One pass over the outbox; never raises (the rows stay for the next pass)."""
        raise NotImplementedError

    def after_pass(self) -> None:
        """Run in the thread after each pass (e.g. refresh what the pass changed)."""

    def ensure_started(self) -> None:
        if self._current_mode() != "thread" or self._running():
            return
        with self._lock:
            if self._running():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._loop, args=(self._stop,), name=self.name,
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """End the thread after its current pass (tests do, before they swap the database under
        it)."""
        thread = self._thread
        if thread is None or not thread.is_alive() or self._pid != os.getpid():
            return
        self._stop.set()
        self._event.set()
        thread.join(timeout)

    def _running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def _loop(self, stop: threading.Event) -> None:
        # Ends when stopped or when the mode is no longer "thread" (a later notify() or request
        # starts a new thread if it becomes "thread" again).
        while not stop.is_set() and self._current_mode() == "thread":
            self.run_once()  # the first pass picks up rows left by earlier processes
            self.after_pass()
            self._event.wait(timeout=self.app.config[self.poll_setting])
            self._event.clear()

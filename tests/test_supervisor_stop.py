"""The worker supervisor (workers.py) ends every child on shutdown within its stop time, even a
child that ignores SIGTERM (issue 16: a metrics process that swallowed SIGTERM held the server
for ever), and stops the server on a child's configuration error instead of restarting it."""

from __future__ import annotations

import os
import signal
import threading
import time

from inventory_service.workers import CONFIGURATION_ERROR, Child, Supervisor


def _deaf() -> int:
    """A child that ignores SIGTERM."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)


def _sigterm_to_this_thread_in(seconds: float) -> None:
    main = threading.get_ident()

    def send() -> None:
        time.sleep(seconds)
        signal.pthread_kill(main, signal.SIGTERM)  # blocked there: Supervisor.run waits for it

    threading.Thread(target=send, daemon=True).start()


def _kill_if_still_there_in(seconds: float, child: Child) -> None:
    def kill() -> None:
        time.sleep(seconds)
        if child.pid:
            os.kill(child.pid, signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()


def test_a_child_that_ignores_sigterm_is_killed_when_its_stop_time_is_up() -> None:
    child = Child("deaf", _deaf)
    _sigterm_to_this_thread_in(0.5)
    _kill_if_still_there_in(10.0, child)  # so a failing run ends too
    started = time.monotonic()
    code = Supervisor([child], stop_seconds=1.0).run()
    took = time.monotonic() - started
    assert 1.4 < took < 5.0
    assert code == 1  # a child that did not drain
    assert child.pid == 0  # reaped


def test_a_child_exiting_with_a_configuration_error_stops_the_server() -> None:
    calls = []
    child = Child("broken", lambda: CONFIGURATION_ERROR)
    code = Supervisor([child], on_death=calls.append, stop_seconds=5.0).run()
    assert code == CONFIGURATION_ERROR
    assert len(calls) == 1  # not started again
    assert not any(_alive(pid) for pid in calls)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

"""The progress display: drawn on a terminal for work over its delay, never on a pipe, and never
taking lines meant for standard output."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import time
    from zuji.interfaces.progress import progress

    with progress("cases", 3, after=0.05) as advance:
        for i in range(3):
            time.sleep(0.3)
            print(f"line {i}", flush=True)
            advance(1)
    with progress("quick", 1, after=5.0) as advance:
        advance(1)
    """
)


def _run(stderr_is_terminal: bool) -> tuple[str, str]:
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    if not stderr_is_terminal:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60
        )
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    try:
        child = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env=env,
            timeout=60,
        )
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all of it is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return child.stdout, drawn.decode("utf-8", "replace")


def test_a_terminal_sees_the_bar_with_counts_and_stdout_keeps_its_lines() -> None:
    out, err = _run(stderr_is_terminal=True)
    assert out.splitlines() == ["line 0", "line 1", "line 2"]
    assert "cases" in err
    assert "/3" in err  # the count: done of total
    assert "quick" not in err  # work within the delay draws nothing


def test_a_pipe_sees_nothing() -> None:
    out, err = _run(stderr_is_terminal=False)
    assert out.splitlines() == ["line 0", "line 1", "line 2"]
    assert err == ""

"""Running the real console script, piped or on a pseudo-terminal."""
import os
import pathlib
import pty
import select
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo_model.tflite"


def ember_cli(*args, cwd=None, env=None):
    """`python -m ember ARGS` with stdout/stderr piped (the same entry point as `ember`)."""
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


def on_tty(argv, env=None, timeout=120):
    """(exit code, everything written to the terminal) for argv run with stdout and stderr on a pty."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env, cwd=REPO)
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:            # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        code = p.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    return code, out.decode("utf-8", "replace")


def ember_tty(*args, env=None):
    return on_tty([sys.executable, "-m", "ember", *map(str, args)], env=env)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "EMBER_PROGRESS")}
    env.setdefault("TERM", "xterm")
    env.update(extra)
    return env

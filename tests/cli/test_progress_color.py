"""Progress bars and colour: on a terminal only, never piped, off with NO_COLOR / --no-color."""
import io
import sys
import time

from clihelp import DEMO, clean_env, ember_cli, ember_tty, on_tty
from ember import progress as P
from ember.cli import style


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_iterable_bar_draws_on_a_terminal_and_wipes_itself(monkeypatch):
    monkeypatch.delenv("EMBER_PROGRESS", raising=False)
    s = FakeTTY()
    assert list(P.progress(range(5), desc="steps", stream=s, delay=0)) == [0, 1, 2, 3, 4]
    out = s.getvalue()
    assert "steps [" in out and "/5" in out
    assert out.endswith("\r\x1b[K")                  # the line is clean for what follows


def test_nothing_when_not_a_terminal_or_turned_off(monkeypatch):
    s = io.StringIO()
    assert list(P.progress(range(3), stream=s, delay=0)) == [0, 1, 2]
    assert s.getvalue() == ""
    monkeypatch.setenv("EMBER_PROGRESS", "0")
    t = FakeTTY()
    list(P.progress(range(3), stream=t, delay=0))
    assert t.getvalue() == ""


def test_quick_work_stays_silent(monkeypatch):
    monkeypatch.delenv("EMBER_PROGRESS", raising=False)
    s = FakeTTY()
    list(P.progress(range(100), stream=s))           # default delay: one second
    assert s.getvalue() == ""


def test_context_manager_spinner_ticks_during_a_blocking_call(monkeypatch):
    monkeypatch.delenv("EMBER_PROGRESS", raising=False)
    s = FakeTTY()
    with P.progress(desc="converting", stream=s, delay=0.05):
        time.sleep(0.4)                               # no update() calls: the thread draws
    assert "converting " in s.getvalue() and "0:00" in s.getvalue()


def test_counted_context_manager_and_line():
    bar = P.Progress(total=4, desc="timing", enabled=False)
    with bar:
        for _ in range(3):
            bar.update()
    assert bar.count == 3
    assert bar.line().startswith("timing [") and "3/4" in bar.line()


def test_nested_bars_only_the_innermost_draws(monkeypatch):
    monkeypatch.delenv("EMBER_PROGRESS", raising=False)
    s = FakeTTY()
    with P.progress(desc="outer", stream=s, delay=0) as outer:
        inner_seen = ""
        for _ in P.progress(range(3), desc="inner", stream=s, delay=0):
            outer._draw(time.monotonic())             # the outer one would draw now: it must not
            inner_seen = s.getvalue()
        assert "inner" in inner_seen
        assert "outer" not in inner_seen.split("inner")[-1]


def test_real_terminal_gets_a_bar_pipe_gets_none():
    code = ("from ember.progress import progress\nimport time\n"
            "for _ in progress(range(30), desc='working', delay=0.1):\n    time.sleep(0.02)\nprint('done')\n")
    rc, out = on_tty([sys.executable, "-c", code], env=clean_env())
    assert rc == 0 and "working [" in out and "done" in out, out
    r = __import__("subprocess").run([sys.executable, "-c", code], capture_output=True, text=True,
                                     env=clean_env(), timeout=60)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "done\n"


def test_bench_piped_has_no_bar_or_escapes():
    r = ember_cli("bench", DEMO, "--runs", "5", "--warmup", "1")
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and "\x1b" not in r.stdout and "\r" not in r.stdout


def test_colour_on_a_terminal_only():
    rc, out = ember_tty("inspect", DEMO, env=clean_env())
    assert rc == 0 and "\x1b[1minputs:\x1b[0m" in out, out[:400]
    rc, out = ember_tty("inspect", DEMO, env=clean_env(NO_COLOR="1"))
    assert rc == 0 and "\x1b[" not in out and "inputs:" in out
    rc, out = ember_tty("inspect", DEMO, "--no-color", env=clean_env())
    assert rc == 0 and "\x1b[" not in out
    rc, out = ember_tty("--no-color", "inspect", DEMO, env=clean_env())
    assert rc == 0 and "\x1b[" not in out
    r = ember_cli("inspect", DEMO, env=clean_env())
    assert r.returncode == 0 and "\x1b[" not in r.stdout


def test_error_head_is_red_on_a_terminal_plain_when_piped(tmp_path):
    rc, out = ember_tty("run", tmp_path / "nope.tflite", env=clean_env())
    assert rc == 1 and "\x1b[31;1member run: error:\x1b[0m no such model file" in out, out
    r = ember_cli("run", tmp_path / "nope.tflite", env=clean_env())
    assert r.stderr.startswith("ember run: error: no such model file")


def test_style_rules(monkeypatch):
    tty = FakeTTY()
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(style, "_forced_off", False)
    assert style.paint("x", "red", stream=tty) == "\x1b[31mx\x1b[0m"
    assert style.paint("x", "red", stream=io.StringIO()) == "x"
    monkeypatch.setenv("NO_COLOR", "")                 # empty means unset (no-color.org)
    assert style.enabled(tty)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not style.enabled(tty)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not style.enabled(tty)

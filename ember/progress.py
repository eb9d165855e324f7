"""Progress bars for anything that may take more than a second.

    from ember.progress import progress

    for batch in progress(batches, total=len(batches), desc="calibrating"):
        ...

    with progress(desc="converting") as bar:    # no steps: a spinner with the elapsed time
        convert(...)

    with progress(total=n, desc="timing") as bar:
        for _ in range(n):
            ...
            bar.update()

A bar is drawn on stderr only when stderr is a terminal, only once the work has
run for ``delay`` seconds (default 1), and is wiped when the work ends, so piped
or short runs print nothing. ``EMBER_PROGRESS=0`` turns bars off everywhere.
No dependencies: the spinner runs on a daemon thread, step-driven bars redraw
from the caller's thread at most ten times a second.
"""
import os
import sys
import threading
import time

__all__ = ["progress", "Progress", "enabled_for"]

_SPIN = "|/-\\"
_WIDTH = 30
# Bars open now, outermost first. Only the innermost draws: a conversion's spinner
# gives way to the calibration bar inside it, and comes back when that closes.
_open = []
_open_lock = threading.Lock()


def enabled_for(stream):
    """Whether a bar would be drawn on ``stream``: a terminal, and not turned off."""
    if os.environ.get("EMBER_PROGRESS", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):        # closed or not a real stream
        return False


def _clock(seconds):
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """One bar. Use it as an iterable wrapper, a context manager, or both."""

    def __init__(self, iterable=None, total=None, desc="", *, stream=None, enabled=None, delay=1.0):
        if total is None and iterable is not None:
            try:
                total = len(iterable)
            except TypeError:
                total = None
        self.iterable = iterable
        self.total = total
        self.desc = desc
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled_for(self.stream) if enabled is None else bool(enabled)
        self.delay = delay
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        self._closed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    # -- use -------------------------------------------------------------
    def __iter__(self):
        if self.iterable is None:
            raise TypeError("progress() without an iterable: use it as a context manager")
        self._register()
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def _register(self):
        with _open_lock:
            if self.enabled and not self._closed and self not in _open:
                self._start = time.monotonic()      # the delay counts from when the work starts
                _open.append(self)

    def __enter__(self):
        self._register()
        # Without steps to redraw on, a blocking call would freeze the bar: tick from a thread.
        if self.enabled and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="ember-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def update(self, n=1):
        self.count += n
        if self.enabled:
            now = time.monotonic()
            if now - self._last_draw >= 0.1:
                self._draw(now)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with _open_lock:
            if self in _open:
                _open.remove(self)
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=1.0)
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[K")      # wipe: what follows starts on a clean line
                self.stream.flush()
                self._drawn = False

    # -- drawing ---------------------------------------------------------
    def _tick(self):
        while not self._stop.wait(0.1):
            self._draw(time.monotonic())

    def line(self, now=None):
        """The text of the bar as it would be drawn now."""
        elapsed = (now if now is not None else time.monotonic()) - self._start
        head = f"{self.desc} " if self.desc else ""
        if self.total:
            frac = min(1.0, self.count / self.total)
            filled = int(frac * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            eta = ""
            if 0 < self.count < self.total:
                eta = f" eta {_clock(elapsed / self.count * (self.total - self.count))}"
            return f"{head}[{bar}] {self.count}/{self.total} {_clock(elapsed)}{eta}"
        spin = _SPIN[int(elapsed * 10) % len(_SPIN)]
        steps = f" {self.count}" if self.count else ""
        return f"{head}{spin}{steps} {_clock(elapsed)}"

    def _draw(self, now):
        if now - self._start < self.delay or (_open and _open[-1] is not self):
            return
        with self._lock:
            if self._closed:
                return
            self._last_draw = now
            try:
                self.stream.write("\r" + self.line(now) + "\x1b[K")
                self.stream.flush()
                self._drawn = True
            except (OSError, ValueError):    # the terminal went away: stop drawing, keep working
                self.enabled = False


def progress(iterable=None, total=None, desc="", *, stream=None, enabled=None, delay=1.0):
    """A progress bar over ``iterable`` (iterate it) or for a block of work (``with`` it).

    total: number of steps (``len(iterable)`` when it has one); None draws a spinner.
    desc: a few words saying what is going on.
    stream: where to draw (default stderr); enabled: force on/off (default: a terminal only).
    delay: seconds before anything is drawn, so quick work stays silent.
    """
    return Progress(iterable, total, desc, stream=stream, enabled=enabled, delay=delay)

"""Waiting for a condition instead of sleeping."""
import time


def wait_until(predicate, timeout=10.0, interval=0.1, message="condition"):
    """Calls predicate() until it returns a true value (returned) or raises AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a failing probe counts as "not yet"
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")
        time.sleep(interval)

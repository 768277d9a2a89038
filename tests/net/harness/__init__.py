"""Simulated hosts in network namespaces for weft's end-to-end tests (see docs/TESTBED.md)."""
from .testbed import Testbed, clear_leftovers, PREFIX
from .wait import wait_until
from .capture import Capture

__all__ = ["Testbed", "clear_leftovers", "wait_until", "Capture", "PREFIX"]

"""Operators registered as ``_contrib_<name>``, exposed as ``mx.nd.contrib.<name>`` (filled in at import time)."""

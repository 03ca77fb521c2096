"""Command-line tools: ``python -m mxc.tools.im2rec``."""

"""The retirement one-window console: CLI, App shell and core."""

__version__ = "0.1.0"

"""Textual screens and widgets of the console."""

"""Guida: the project manager's guide (docs/guida.md), inside the dashboard."""

from ui.guide import show

show()

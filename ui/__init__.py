"""Presentation helpers shared by dashboard.py and the pages: state, loading, sidebar, formats."""

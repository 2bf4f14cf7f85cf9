"""Readers: files, URLs and Google Sheets in, raw grids of text out. No domain rules here."""

from data_sources.errors import SourceError
from data_sources.grid import Grid
from data_sources.reader import describe_source, read_source

__all__ = ["Grid", "SourceError", "describe_source", "read_source"]

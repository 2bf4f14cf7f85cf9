"""One entry point: read a source (path, http(s) URL, Google Sheet link or file object)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from data_sources import gsheets, http
from data_sources.errors import SourceError
from data_sources.files import read_bytes
from data_sources.grid import Grid
from data_sources.gsecrets import SheetsAccess

Source = str | Path | BinaryIO


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.strip().lower().startswith(("http://", "https://"))


def describe_source(source: Source) -> str:
    """A short, credential-free name of a source, for messages and the sidebar."""
    if isinstance(source, str) and source.strip() == gsheets.KEYWORD:
        return "foglio Google di [connections.gsheets]"
    if is_url(source):
        return http.redact(str(source).strip())
    if isinstance(source, (str, Path)):
        return Path(source).name
    return getattr(source, "name", "file caricato")


def remote_identity(source: Source, sheet: str | None = None, access: SheetsAccess | None = None) -> str | None:
    """What names a remote source for its copy on disk (None for local files and file objects)."""
    if isinstance(source, str) and source.strip() == gsheets.KEYWORD:
        spreadsheet = access.spreadsheet if access else ""
        return f"{gsheets.KEYWORD}|{spreadsheet}|{sheet or (access.worksheet if access else '')}"
    if is_url(source):
        return f"{str(source).strip()}|{sheet or ''}"
    return None


def read_source(
    source: Source, *, sheet: str | None = None, base_dir: Path | None = None, access: SheetsAccess | None = None
) -> Grid:
    """Read ``source`` into a Grid of text cells; raise SourceError with an Italian message.

    A Google Sheet link (or ``gsheets``) is read with gspread when ``access`` has a service
    account, else through the sheet's public CSV export.
    """
    origin = describe_source(source)
    if gsheets.is_sheet_source(source):
        ref = gsheets.sheet_ref(str(source), sheet, access)
        if access is not None and access.error:
            raise SourceError(access.error)
        if access is not None and access.has_account:
            return gsheets.read_gsheet(ref, access)
        grid = read_bytes(http.fetch(ref.csv_url()), origin)
        return replace(grid, loaded_at=dt.datetime.now(dt.UTC))
    if is_url(source):
        return replace(read_bytes(http.fetch(str(source).strip()), origin, sheet), loaded_at=dt.datetime.now(dt.UTC))
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if not str(source).strip():
            raise SourceError("Nessun file indicato.")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"File non trovato: {path}.") from None
        except IsADirectoryError:
            raise SourceError(f"{path} è una cartella, non un file.") from None
        except OSError as err:
            raise SourceError(f"Impossibile leggere {path}: {err.strerror or err}.") from None
        return read_bytes(data, origin, sheet)
    try:
        data = source.read()
    except OSError as err:
        raise SourceError(f"Impossibile leggere {origin}: {err}.") from None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return read_bytes(data, origin, sheet)

"""One entry point: read a source (path, http(s) URL, Google Sheet link or file object)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from data_sources import http
from data_sources.errors import SourceError
from data_sources.files import read_bytes
from data_sources.grid import Grid

Source = str | Path | BinaryIO


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.strip().lower().startswith(("http://", "https://"))


def describe_source(source: Source) -> str:
    """A short, credential-free name of a source, for messages and the sidebar."""
    if is_url(source):
        return http._redact(str(source).strip())
    if isinstance(source, (str, Path)):
        return Path(source).name
    return getattr(source, "name", "file caricato")


def read_source(source: Source, *, sheet: str | None = None, base_dir: Path | None = None) -> Grid:
    """Read ``source`` into a Grid of text cells; raise SourceError with an Italian message."""
    origin = describe_source(source)
    if is_url(source):
        url = http.google_sheet_csv_url(str(source).strip())
        return read_bytes(http.fetch(url), origin, sheet)
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

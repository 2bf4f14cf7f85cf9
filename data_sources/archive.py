"""The zip archive of an XLSX or ODS workbook, checked before a reader trusts it.

A zip member says how large it is once inflated, and a reader inflates it however large it turns
out: a member of 1 MB can hold 1 GB. So, from the central directory alone, before anything is
inflated: at most ``MAX_MEMBERS`` members, none declared over ``MAX_PART_BYTES``, all together
within ``MAX_TOTAL_BYTES``, none compressed more than ``MAX_RATIO`` to 1 (once over
``RATIO_FROM`` bytes). A member is then inflated here never past its declared size: one that
inflates to more, or to less, or whose checksum differs, is damaged.

A zip can also be read differently by two readers (data before the first member, a gap, a comment
or a second directory): ``pristine`` says the archive is laid out in the one plain way (members
end to end from the first byte, then the directory, then its end record), in which Python's reader
and calamine's find the same members with the same bytes. Otherwise ``repack`` writes the members
checked here into a fresh archive, and the reader gets that one instead.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

from data_sources.errors import SourceError

MAX_MEMBERS = 10_000
MAX_PART_BYTES = 100 * 2**20  # one member, inflated
MAX_TOTAL_BYTES = 160 * 2**20  # every member, inflated (a 30,000 × 20 responses sheet: 23 MB)
MAX_RATIO = 200  # inflated size over compressed size; Excel's and Google's sheets are about 8 to 1
RATIO_FROM = 2**20  # small members (tiny XML parts) may compress better than that

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # a local file header, 30 bytes
_END = struct.Struct("<4sHHHHIIH")  # the end of central directory record, 22 bytes
_DESCRIPTOR = b"PK\x07\x08"


class Archive:
    """The members of a zip archive, checked as the module says; ``name`` names the workbook in messages."""

    def __init__(self, data: bytes, name: str, kind: str) -> None:
        self.data, self.name, self.kind = data, name, kind
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise SourceError(self.damaged()) from None
        if len(infos) > MAX_MEMBERS:
            raise SourceError(
                f"{name} contiene {_n(len(infos))} file compressi: troppi per un file {kind} (al massimo "
                f"{_n(MAX_MEMBERS)}). {self._advice()}"
            )
        self._by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename.replace("\\", "/").lower()
            if key in self._by_name or info.flag_bits & 0x1 or info.compress_type not in _METHODS:
                raise SourceError(self.damaged())  # two members one reader could confuse; encrypted; unknown method
            self._by_name[key] = info
            self._check_size(info)
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_BYTES:
            raise SourceError(
                f"{name}: il file {kind}, decompresso, occupa {_mb(total)}: troppo per essere letto "
                f"(al massimo {_mb(MAX_TOTAL_BYTES)}). {self._advice()}"
            )
        self.pristine = self._laid_out_plainly(infos)

    def _check_size(self, info: zipfile.ZipInfo) -> None:
        if info.file_size > MAX_PART_BYTES:
            raise SourceError(
                f"{self.name}: il file {self.kind} contiene una parte ({info.filename[:80]}) che, decompressa, "
                f"occupa {_mb(info.file_size)}: troppo per essere letta (al massimo {_mb(MAX_PART_BYTES)}). "
                f"{self._advice()}"
            )
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SourceError(
                f"{self.name}: il file {self.kind} contiene una parte ({info.filename[:80]}) compressa in modo "
                f"anomalo ({_mb(info.file_size)} in {_mb(info.compress_size)}): non viene letta. {self._advice()}"
            )

    def _advice(self) -> str:
        return "Se il file è giusto, salvalo come CSV e riprova."

    def damaged(self) -> str:
        return (
            f"{self.name} non è un file {self.kind} leggibile: è danneggiato o incompleto. Scaricalo o salvalo "
            "di nuovo (o come CSV) e riprova."
        )

    def find(self, path: str) -> zipfile.ZipInfo | None:
        """The member at ``path`` as calamine looks it up: case-insensitive, ``\\`` read as ``/``."""
        return self._by_name.get(path.replace("\\", "/").lower())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member inflated, exactly its declared size (checked: size, end of stream, checksum)."""
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            body = bytes(raw)
        else:
            inflater = zlib.decompressobj(-15)
            try:
                body = inflater.decompress(raw, info.file_size + 1)  # never more than declared, plus one byte
            except zlib.error:
                raise SourceError(self.damaged()) from None
            if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
                raise SourceError(self.damaged())
        if len(body) != info.file_size or zlib.crc32(body) != info.CRC:
            raise SourceError(self.damaged())
        return body

    def _raw(self, info: zipfile.ZipInfo) -> memoryview:
        start = self._data_start(info)
        if start is None or start + info.compress_size > len(self.data):
            raise SourceError(self.damaged())
        return memoryview(self.data)[start : start + info.compress_size]

    def _data_start(self, info: zipfile.ZipInfo) -> int | None:
        header = self.data[info.header_offset : info.header_offset + _LOCAL.size]
        if len(header) < _LOCAL.size:
            return None
        magic, _, _, method, _, _, _, _, _, name_len, extra_len = _LOCAL.unpack(header)
        if magic != b"PK\x03\x04" or method != info.compress_type:
            return None
        return info.header_offset + _LOCAL.size + name_len + extra_len

    def _laid_out_plainly(self, infos: list[zipfile.ZipInfo]) -> bool:
        """Members end to end from byte 0, then the central directory, then its end record (no comment,
        no zip64): the one layout every zip reader reads alike."""
        data = self.data
        if len(data) < _END.size:
            return False
        magic, disk, cd_disk, _, entries, cd_size, cd_offset, comment = _END.unpack(data[-_END.size :])
        if magic != b"PK\x05\x06" or disk or cd_disk or comment or entries != len(infos):
            return False
        if cd_offset + cd_size != len(data) - _END.size:
            return False
        position = 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            start = self._data_start(info)
            if info.header_offset != position or start is None:
                return False
            position = start + info.compress_size
            if info.flag_bits & 0x8:  # sizes in a data descriptor after the data
                position += 16 if data[position : position + 4] == _DESCRIPTOR else 12
        return position == cd_offset

    def repack(self, members: Iterable[tuple[str, bytes]]) -> bytes:
        """A fresh archive holding only ``members`` (name, inflated bytes), for the reader to read instead."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, body in members:
                archive.writestr(name, body)
        return out.getvalue()


_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _mb(size: int) -> str:
    return f"{_n(round(size / 2**20))} MB" if size >= 2**20 else f"{_n(max(1, round(size / 1024)))} KB"

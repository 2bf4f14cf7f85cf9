"""Office files the readers meet, built byte by byte where no installed library writes them.

- ``encrypted_xlsx``: what Excel saves for "Encrypt with password": an OLE2 compound file (CFB
  v3, 512-byte sectors) holding the streams ``EncryptionInfo`` and ``EncryptedPackage``.
- ``ods``: an OpenDocument spreadsheet (LibreOffice's format) with text, number and date cells.
- ``xlsx_with_formulas``: an XLSX written by a script (openpyxl): formulas without cached values.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape

FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = FREE, right: int = FREE) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)  # length, type, colour black
        + struct.pack("<III", FREE, right, child)  # left, right sibling, child
        + b"\0" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def encrypted_xlsx(payload: bytes = b"\x5a" * 4096) -> bytes:
    info = (struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>').ljust(4096, b"\0")
    package = struct.pack("<Q", len(payload)) + payload
    package = package.ljust(-(-len(package) // 512) * 512, b"\0")
    info_start, package_start = 2, 2 + len(info) // 512
    sectors = package_start + len(package) // 512
    fat = [FAT_SECTOR, END]
    for start, count in ((info_start, len(info) // 512), (package_start, len(package) // 512)):
        fat += [start + i + 1 for i in range(count - 1)] + [END]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    directory = (
        _dir_entry("Root Entry", 5, END, 0, child=1)
        + _dir_entry("EncryptionInfo", 2, info_start, len(info), right=2)
        + _dir_entry("EncryptedPackage", 2, package_start, len(package) - 0)
        + b"\0" * 128
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (109 * 4 - 4)
    )
    assert len(header) == 512 and sectors == 2 + (len(info) + len(package)) // 512
    return header + fat_sector + directory + info + package


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def _ods_cell(value: object) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    text = str(value)
    if text.startswith("date:"):
        iso = text[5:]
        return f'<table:table-cell office:value-type="date" office:date-value="{iso}"><text:p>{iso}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p></table:table-cell>'


def ods(sheets: dict[str, list[list[object]]]) -> bytes:
    """An ODS file; a cell "date:2023-09-13T10:15:32" is a date cell."""
    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- workbooks written by hand: the minimal parts, any sheet XML; hostile ones -----------------------

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
_PACKAGE_RELS = (
    _RELS + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _RELS + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>{strings}</Relationships>'
)
_STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def inline(ref: str, text: str) -> str:
    """A cell holding ``text`` as an inline string."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def xlsx_parts(sheet: bytes | str, *, name: str = "Foglio1", strings: bytes | str | None = None) -> dict[str, bytes]:
    """The parts of a one-sheet workbook whose worksheet XML is ``sheet`` (and shared strings ``strings``)."""
    parts = {
        "[Content_Types].xml": _TYPES,
        "_rels/.rels": _PACKAGE_RELS,
        "xl/workbook.xml": _WORKBOOK.format(name=escape(name, {'"': "&quot;"})),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.format(strings=_STRINGS_REL if strings is not None else ""),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    return {n: p.encode() if isinstance(p, str) else p for n, p in parts.items()}


def xlsx(sheet_data: str, *, dimension: str = "", name: str = "Foglio1") -> bytes:
    """A one-sheet workbook whose <sheetData> holds ``sheet_data``, zipped as Excel does (deflated)."""
    head = f'{SHEET_HEAD}<dimension ref="{dimension}"/>' if dimension else SHEET_HEAD
    return zip_parts(xlsx_parts(f"{head}<sheetData>{sheet_data}</sheetData></worksheet>", name=name))


def zip_parts(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


class Deflated:
    """A member already compressed: its deflate stream, inflated size and CRC-32 (which may lie)."""

    def __init__(self, raw: bytes, size: int, crc: int) -> None:
        self.raw, self.size, self.crc = raw, size, crc


def repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> Deflated:
    """``head + unit * times + tail`` compressed without ever being held: after the first ``unit`` the
    compressor's output for each one is the same bytes, so the stream repeats them (a zip bomb of a
    few hundred kilobytes holding a gigabyte, built in a fraction of a second)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_SYNC_FLUSH)
    first = compressor.compress(unit) + compressor.flush(zlib.Z_SYNC_FLUSH)
    steady = compressor.compress(unit) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert compressor.compress(unit) + compressor.flush(zlib.Z_SYNC_FLUSH) == steady
    end = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return Deflated(
        start + first + steady * (times - 1) + end, len(head) + len(unit) * times + len(tail), zlib.crc32(tail, crc)
    )


def zip_raw(parts: dict[str, bytes | Deflated]) -> bytes:
    """A zip written byte by byte, so that a member can be one already compressed (``Deflated``,
    with the size and CRC it declares)."""
    out, directory = io.BytesIO(), []
    for name, body in parts.items():
        member = body if isinstance(body, Deflated) else Deflated(_deflate(body), len(body), zlib.crc32(body))
        encoded, offset = name.encode(), out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, member.crc, len(member.raw), member.size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + member.raw)
        directory.append(
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset)
            + encoded
        )
    start = out.tell()
    out.write(b"".join(directory))
    out.write(
        b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(directory), len(directory), out.tell() - start, start, 0)
    )
    return out.getvalue()


def _deflate(body: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(body) + compressor.flush()

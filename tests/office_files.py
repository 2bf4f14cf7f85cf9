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

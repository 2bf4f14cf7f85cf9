"""The weekly status picture: a real 1600×900 PNG whose spec carries the exact figures, no personal data."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
import vl_convert as vlc

from conftest import COMUNI_CSV, ROOT, responses, snapshot
from rollout.config import load_config
from rollout.outputs.picture import HEIGHT, WIDTH, render_png, status_picture, to_vega
from rollout.pipeline import run

HEADER = (
    "Informazioni cronologiche,Indirizzo email,Comune,Cognome del dipendente,Nome del dipendente,"
    "Indirizzo email del dipendente,Codice fiscale del dipendente,Permessi da assegnare"
)
LINES = (
    "1/9/2023 10.15.32,segreteria@comune.montecorvinorovella.sa.it,Montecorvino Rovella,Greco,Annunziata,"
    "annunziata.greco@comune.montecorvinorovella.sa.it,GRCNNZ80A41H703X,1) Editor Sito Web",
    "20/9/2023 09.00.00,,Castel d'Azzano,Rossetti,Paolino,paolino.rossetti@comune.casteldazzano.vr.it,"
    "RSSPLN75C12L781K,3) Editor Amministrazione Trasparente",
    "5/9/2023 11.00.00,,Paterno,Bianchini,Lucrezio,l.bianchini@comune.paterno.pz.it,BNCLRZ70D10G386T,"
    '"1) Editor Sito Web, 3) Editor Amministrazione Trasparente"',
    "6/9/2023 12.00.00,ufficio@comune.paterno.ct.it,Paternò,Verdicchio,Giulietta,g.verdicchio@comune.paterno.ct.it,"
    "VRDGLT88E50G371Z,2) Editor Newsletter",
    "25/9/2023 16.30.00,,Melito di Napoli,Espositore,Ciriaco,c.espositore@comune.melito.na.it,SPSCRC66H01F111W,"
    '"3) Editor Amministrazione Trasparente, 7) Editor Servizi - Ufficio Tributi"',
)
# Every personal string of the inputs: employees (names, emails, fiscal codes), fillers, contacts.
PERSONAL = [
    "Greco", "Annunziata", "annunziata.greco", "GRCNNZ80A41H703X", "Rossetti", "Paolino", "RSSPLN75C12L781K",
    "Bianchini", "Lucrezio", "BNCLRZ70D10G386T", "Verdicchio", "Giulietta", "VRDGLT88E50G371Z", "Espositore",
    "Ciriaco", "SPSCRC66H01F111W", "@", "Anna Greco", "Paolo Rossi", "Ciro Esposito",
]  # fmt: skip


@pytest.fixture(scope="module")
def picture():
    snap = snapshot(responses(*LINES, header=HEADER))  # deadline 13/09/2023, as_of 29/09/2023 12:00
    previous = snap.week_before()
    chart = status_picture(snap, previous, "Account editor - PNRR 1.4.1")
    return chart.to_dict()


def datasets_with(spec: dict, field: str) -> list[list[dict]]:
    return [rows for rows in spec["datasets"].values() if rows and field in rows[0]]


def png_size(data: bytes) -> tuple[int, int]:
    """Check the PNG chunk by chunk (CRCs, image data size) and return its width and height."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append(kind)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    ihdr = data[16:29]
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    channels = {2: 3, 6: 4}[colour]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)
    return width, height


def test_kpis_carry_the_exact_figures_and_weekly_change(picture):
    (kpis,) = datasets_with(picture, "kpi")
    assert [(k["kpi"], k["valore"], k["variazione"], k["testo_variazione"], k["quota"]) for k in kpis] == [
        ("Comuni", 7, 0, "invariato in 7 giorni", ""),
        ("In tempo", 3, 0, "invariato in 7 giorni", "43\xa0% dei comuni"),
        ("In ritardo", 2, 1, "+1 in 7 giorni", "29\xa0% dei comuni"),  # Melito answered on 25/09
        ("In attesa", 0, 0, "invariato in 7 giorni", "0\xa0% dei comuni"),
        ("Mancanti", 2, -1, "-1 in 7 giorni", "29\xa0% dei comuni"),
        # every comune without an AT editor (status.json's figure) and, beside it, those that answered
        ("Senza editor AT", 4, -1, "-1 in 7 giorni", "di cui 2 hanno risposto"),
    ]
    assert [k["colore"] for k in kpis if k["variazione"]] == ["#2e7d32", "#2e7d32", "#2e7d32"]  # all good news


def test_title_curve_coverage_and_todo(picture):
    assert picture["title"]["text"] == "Account editor - PNRR 1.4.1"
    assert picture["title"]["subtitle"] == (
        "Situazione al 29/09/2023 12:00 · scadenza mercoledì 13 settembre 2023 · scadenza superata da 16 giorni"
    )
    (curve,) = datasets_with(picture, "risposte")
    last = curve[-1]
    assert (last["giorno"][:10], last["risposte"], last["in tempo"], last["in ritardo"]) == ("2023-09-29", 5, 3, 2)
    assert [(d["giorno"][:10], d["nuovi"]) for d in curve if d["nuovi"]] == [
        ("2023-09-01", 1), ("2023-09-05", 1), ("2023-09-06", 1), ("2023-09-20", 1), ("2023-09-25", 1),
    ]  # fmt: skip
    (deadline,) = [rows for rows in datasets_with(picture, "etichetta") if "giorno" in rows[0]]
    assert [(d["giorno"][:16], d["etichetta"]) for d in deadline] == [("2023-09-13T23:59", "Scadenza 13/09")]
    (coverage,) = datasets_with(picture, "permesso")
    assert [(c["permesso"], c["comuni"], c["etichetta"]) for c in coverage] == [
        ("Sito web", 2, "29\xa0% (2/7)"),
        ("Newsletter", 1, "14\xa0% (1/7)"),
        ("Amm. trasparente", 3, "43\xa0% (3/7)"),
        ("Demografico", 0, "0\xa0% (0/7)"),
        ("Segreteria", 0, "0\xa0% (0/7)"),
        ("Tecnico", 0, "0\xa0% (0/7)"),
        ("Tributi", 1, "14\xa0% (1/7)"),
    ]
    texts = [rows[0]["t"] for rows in datasets_with(picture, "t") if rows[0]["t"].startswith("Da fare")]
    assert texts == [
        "Da fare: 2 comuni mancanti da sollecitare · 4 comuni senza editor Amministrazione Trasparente, di cui 2 "
        "hanno risposto"
    ]


def test_no_personal_string_in_the_spec_or_the_drawing(picture):
    spec = json.dumps(picture, ensure_ascii=False)
    svg = vlc.vega_to_svg(to_vega(picture))
    for text in PERSONAL:
        assert text not in spec, text
        assert text not in svg, text
    for name in ("Montecorvino Rovella", "Melito di Napoli", "Paternò"):
        assert name not in spec  # not even the comuni: only counts


def test_the_png_is_1600_by_900(picture):
    data = render_png(picture)
    assert (WIDTH, HEIGHT) == (1600, 900)
    assert png_size(data) == (1600, 900)


def test_the_png_is_the_padded_vega_drawing_pixel_for_pixel(picture):
    """Drawn once as SVG and framed, the PNG has the same pixels as Vega drawing the padded spec
    (1 level of anti-aliasing aside), the white of the frame included."""
    import io

    import numpy as np
    import vl_convert as vlc
    from PIL import Image

    from rollout.outputs import map_charts, render

    spec = map_charts.to_spec(picture)
    padded = render.padded_vega(spec, WIDTH, HEIGHT, 28)
    assert padded["padding"]["left"] > 0 and padded["padding"]["bottom"] > 0  # a real frame around
    by_vega = vlc.vega_to_png(padded, format_locale="it-IT", time_format_locale="it-IT")

    def pixels(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)

    ours, theirs = pixels(render.png(spec, WIDTH, HEIGHT, 28)), pixels(by_vega)
    assert ours.shape == theirs.shape == (HEIGHT, WIDTH, 3)
    assert np.abs(ours - theirs).max() <= 1
    assert (ours[:5, :5] == 255).all() and (ours[-5:, -5:] == 255).all()  # the frame is white


def test_a_long_title_and_no_answer_yet_keep_the_size():
    snap = snapshot(responses(*LINES, header=HEADER), comuni_csv=COMUNI_CSV, as_of="2023-08-20T09:00:00")
    previous = snap.week_before()
    chart = status_picture(snap, previous, "Raccolta dei nominativi degli editor " * 8)
    (kpis,) = datasets_with(chart.to_dict(), "kpi")
    assert [k["valore"] for k in kpis] == [7, 0, 0, 7, 0, 7]
    assert png_size(render_png(chart)) == (1600, 900)


@pytest.mark.skipif((ROOT / "rollout.toml").exists(), reason="a local rollout.toml replaces the demo")
def test_the_demo_picture_matches_the_dashboard():
    config = load_config(ROOT / "data" / "demo" / "rollout.toml")
    snap = run(config)
    previous = snap.week_before()
    spec = status_picture(snap, previous, config.campaign).to_dict()
    (kpis,) = datasets_with(spec, "kpi")
    # The same figures as the Panoramica's metrics (tests/test_dashboard.py).
    assert {k["kpi"]: (k["valore"], k["variazione"]) for k in kpis} == {
        "Comuni": (130, 0),
        "In tempo": (60, 31),
        "In ritardo": (0, 0),
        "In attesa": (70, -31),
        "Mancanti": (0, 0),
        "Senza editor AT": (79, -26),
    }
    assert png_size(render_png(spec)) == (1600, 900)

"""Mail headers and addresses from untrusted text: one encoder for the sent mail and the .eml drafts.

Every value a header carries (a comune's name, a referent, the campaign, the subject, the sender's
display name) comes from a sheet, a list or the configuration, and reaches the reader as literal
text. Control characters and every line break (CR, LF, VT, FF, U+001C-U+001E, U+0085, U+2028,
U+2029) become spaces, so a header is always one logical line. A word that is not plain ASCII,
that holds ``=?`` or ``?=`` (it could pass for an RFC 2047 encoded word), or that is too long to
fold is written as encoded words of its own: a decoder gets back exactly the characters given,
``=?utf-8?q?…?=`` included. Lines are folded near 78 characters (never near RFC 5322's 998), and the
work is linear in the text's length. The ``email`` package is not used for headers: its folder
decodes encoded words found in a display name (CVE-2024-6923) and is quadratic on long names.
"""

from __future__ import annotations

import binascii
import re
import string

from rollout.read.text import normalise_email

LINE = 78  # RFC 5322's recommended line length; its limit is 998
_ENCODED_MAX = 75  # RFC 2047: an encoded word is at most 75 characters
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="
_PLAIN_MAX = 40  # a longer plain word is encoded, so that it can be split across lines
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Characters an encoded word may carry as they are, also inside a display name (RFC 2047, 5 (3)).
_Q_SAFE = frozenset((string.ascii_letters + string.digits + "!*+-/").encode())
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_PRINTABLE = frozenset(chr(c) for c in range(0x21, 0x7F))


def usable_address(text: object) -> str:
    """The address in lower case when a mail server would accept it as a recipient, else "".

    The one rule of ``rollout.read.text.normalise_email``, which the lists and responses are read
    with: an address read from a list is already usable or "" (this stays for text from elsewhere).
    """
    return normalise_email(text)


def one_line(text: object) -> str:
    """The text on one line: control characters and line breaks as spaces, runs of spaces as one."""
    return " ".join(_BREAKS.sub(" ", str(text)).split())


def header(name: str, value: object) -> str:
    """An unstructured header (Subject): ``Name: value``, folded, ASCII only."""
    return _fold(f"{name}:", _tokens(one_line(value), _plain_text))


def mailbox_header(name: str, display_name: object, address: str) -> str:
    """An address header (From, To, Reply-To): ``Name: display name <address>``, folded, ASCII only.

    ``address`` must be a ``usable_address``; the display name is literal text, whatever it holds.
    """
    if not address or normalise_email(address) != address:
        raise ValueError("not a usable address")
    phrase = one_line(display_name)
    tokens = [*_tokens(phrase, _plain_phrase), f"<{address}>"] if phrase else [address]
    return _fold(f"{name}:", tokens)


def address_list_header(name: str, addresses: list[str]) -> str:
    """An address header with several bare addresses (To: a@x.it, b@y.it), folded, ASCII only.

    Each of ``addresses`` must be a ``usable_address``."""
    if not addresses or not all(a and normalise_email(a) == a for a in addresses):
        raise ValueError("not usable addresses")
    return _fold(f"{name}:", [f"{a}," for a in addresses[:-1]] + [addresses[-1]])


def text_message(fields: list[str], body: str) -> bytes:
    """A plain-text UTF-8 message: the header ``fields`` (from ``header``, ``mailbox_header`` or
    trusted ``Name: value`` lines), MIME headers, and the body 7-bit when it can be, else
    quoted-printable (lines of at most 76 characters), with CRLF line ends."""
    head = "\r\n".join([*fields, "MIME-Version: 1.0"]).encode("ascii")
    return head + b"\r\n" + text_part(body)


def text_part(body: str, subtype: str = "plain") -> bytes:
    """One UTF-8 text part (``text/plain`` or ``text/html``): its MIME headers, a blank line and the
    body, 7-bit when it can be, else quoted-printable (lines of at most 76 characters), CRLF line ends."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and all(len(line) <= LINE for line in text.split("\n")):
        encoding, payload = "7bit", text.encode("ascii")
    else:
        encoding, payload = "quoted-printable", binascii.b2a_qp(text.encode("utf-8", "replace"), istext=True)
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}'
    return head.encode("ascii") + b"\r\n\r\n" + payload.replace(b"\n", b"\r\n")


def _plain_text(word: str) -> bool:
    return len(word) <= _PLAIN_MAX and set(word) <= _PRINTABLE and "=?" not in word and "?=" not in word


def _plain_phrase(word: str) -> bool:
    return _plain_text(word) and set(word) <= _ATEXT


def _tokens(text: str, plain) -> list[str]:
    """The words of ``text``: plain words as they are, each run of other words as encoded words.

    A run is encoded together, its spaces inside it: decoders drop the whitespace between two
    encoded words, and keep the one between an encoded word and a plain one.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" ") if text else []:
        if plain(word):
            if run:
                tokens += encoded_words(" ".join(run))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens += encoded_words(" ".join(run))
    return tokens


def encoded_words(text: str) -> list[str]:
    """``text`` as "Q" encoded words of at most 75 characters, each holding whole characters."""
    room = _ENCODED_MAX - len(_PREFIX) - len(_SUFFIX)
    words: list[str] = []
    piece: list[str] = []
    width = 0
    for char in text:
        data = char.encode("utf-8", "replace")
        encoded = "".join("_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in data)
        if piece and width + len(encoded) > room:
            words.append(_PREFIX + "".join(piece) + _SUFFIX)
            piece, width = [], 0
        piece.append(encoded)
        width += len(encoded)
    if piece or not words:
        words.append(_PREFIX + "".join(piece) + _SUFFIX)
    return words


def _fold(start: str, tokens: list[str]) -> str:
    """``start`` and the tokens separated by spaces, a line folded (CRLF and a space) before a
    token that would pass ``LINE`` characters. Every token is at most 75 characters long, or an
    address of at most 256, so no line comes near 998."""
    out = [start]
    width = len(start)
    for token in tokens:
        if width + 1 + len(token) > LINE and width > len(start):
            out.append("\r\n ")
            width = 1
        else:
            out.append(" ")
            width += 1
        out.append(token)
        width += len(token)
    return "".join(out)

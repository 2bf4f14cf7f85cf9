"""The form's link as each comune receives it: pre-filled with its own name exactly as listed.

Google Forms fills an answer from the link: ``…/viewform?usp=pp_url&entry.1234567=Avella``
(«Ottieni link precompilato» in the form's menu shows the ``entry.NNN`` of each question). A comune
that opens its own link sends its name as listed, so its responses match exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from rollout.config import Config


def prefilled_link(form_url: str, answers: Iterable[tuple[str, str]]) -> str:
    """``form_url`` with ``usp=pp_url`` and each ``(entry.NNN, text)`` answer, percent-encoded.

    Every reserved character of the text is encoded (``'`` %27, ``’`` %E2%80%99, space %20, ``&``
    %26, accents as UTF-8), so the form receives the text exactly. The link's own parameters are
    kept, except a previous ``usp`` and the answers given here.
    """
    given = [(field, text) for field, text in answers if field and text]
    if not form_url or not given:
        return form_url
    parts = urlsplit(form_url)
    replaced = {"usp", *(field for field, _ in given)}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in replaced]
    query = urlencode([*kept, ("usp", "pp_url"), *given], quote_via=quote, safe="")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True)
class FormLink:
    """The form's link and the fields to pre-fill (from the configuration)."""

    url: str = ""
    name_field: str = ""
    province_field: str = ""
    code_field: str = ""

    @classmethod
    def from_config(cls, config: Config) -> FormLink:
        return cls(
            config.form_url,
            config.form_prefill_field,
            config.form_prefill_province_field,
            config.form_prefill_code_field,
        )

    @property
    def prefills(self) -> bool:
        return bool(self.url and self.name_field)

    def for_comune(self, name: str, province: str = "", code: str = "") -> str:
        """The link one comune receives: pre-filled when a field is configured, else the plain link."""
        if not self.prefills:
            return self.url
        return prefilled_link(
            self.url, ((self.name_field, name), (self.province_field, province), (self.code_field, code))
        )

    def for_comuni(self, names: Iterable[str], provinces: Iterable[str], codes: Iterable[str]) -> list[str]:
        return [self.for_comune(n, p, c) for n, p, c in zip(names, provinces, codes, strict=True)]

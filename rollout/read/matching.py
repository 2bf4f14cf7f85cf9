"""Match the comune names people typed to the participating list, with high precision.

Order: code, alias, exact name (accents kept), normalised name (accents and punctuation dropped),
compact name (spaces dropped), then a fuzzy match only when one participating comune is clearly
the closest and no other real Italian comune is as close. A name that is exactly another real
comune is that comune (not participating), never a typo of a listed one. Province, code or the
email domain separate homonyms; without them a name that fits two comuni is ambiguous.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from rollout.errors import InputError
from rollout.keys import ComuniCols as C
from rollout.read.names import NameKeys, all_official_keys, keys_frame, literal_keys, typed_variants
from rollout.read.names import __file__ as names_file
from rollout.read.reference import ReferenceCache, national_comuni, province_code
from rollout.read.text import QUOTE_LIMIT, clean, visible
from rollout.read.text import __file__ as text_file

LEVELS = ("exact", "loose", "compact")
LONGEST_NAME = 200  # characters; Italy's longest comune name has 47 (60 with "Comune di"): no typo beyond
METHOD_LABELS = {
    "code": "codice",
    "alias": "alias (configurazione)",
    "exact": "nome esatto",
    "loose": "nome normalizzato",
    "compact": "nome senza spazi",
    "fuzzy": "errore di battitura corretto",
}
PROBLEM_LABELS = {
    "empty": "comune non indicato",
    "not_participating": "comune che non partecipa",
    "ambiguous": "comune ambiguo",
    "unknown": "comune non riconosciuto",
}


@dataclass(frozen=True)
class Match:
    cid: int  # position in the comuni list, -1 when not matched
    method: str = ""
    problem: str = ""
    detail: str = ""
    suggestion: str = ""

    @property
    def matched(self) -> bool:
        return self.cid >= 0


class ComuneMatcher:
    """Matches typed names to the comuni list given as a frame with name, code, province, domains."""

    def __init__(self, comuni: pd.DataFrame, aliases: Mapping[str, str] | None = None) -> None:
        self.names: list[str] = comuni[C.NAME].tolist()
        self.provinces: list[str] = comuni[C.PROVINCE].tolist()
        self.domains: list[tuple[str, ...]] = comuni[C.DOMAINS].tolist() if C.DOMAINS in comuni else [()] * len(comuni)
        self.by_code = {c.upper(): i for i, c in enumerate(comuni[C.CODE].tolist()) if c}
        self.index: dict[str, dict[str, set[int]]] = {lvl: defaultdict(set) for lvl in LEVELS}
        for cid, keys in enumerate(all_official_keys(comuni[C.NAME])):
            for k in keys:
                for lvl in LEVELS:
                    self.index[lvl][getattr(k, lvl)].add(cid)
        self._part_compacts = list(self.index["compact"])
        self._part_loose = list(self.index["loose"])
        self._part_by_len = _ByLength(self._part_compacts)
        # A typed text longer than this cannot be a listed name, however spaced or punctuated.
        self._longest_typed = 2 * max(map(len, self.names), default=0) + LONGEST_NAME
        self._closeness: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
        self.aliases: dict[str, int] = {}
        self.aliases = self._resolve_aliases(aliases or {})
        # The memo's key is the list itself (compared for equality, not just by hash), so another
        # list never reuses these matches.
        self.signature: tuple = (tuple(self.names), tuple(self.provinces), tuple(self.domains),
                                 tuple(sorted(self.by_code.items())), tuple(sorted(self.aliases.items())))  # fmt: skip

    # -- public -------------------------------------------------------------------------------
    def match(self, raw: str, province: str = "", code: str = "", domains: Iterable[str] = ()) -> Match:
        """Match one typed name; ``province``, ``code`` and ``domains`` are hints from the row."""
        if (
            code
            and (
                cid := self.by_code.get(clean(code).upper().zfill(6) if clean(code).isdigit() else clean(code).upper())
            )
            is not None
        ):
            return Match(cid, "code")
        # Longer than any real comune's name (a pasted paragraph, a broken cell, or a list's own long
        # name): only the text as it stands is looked up, and no typo is looked for in it.
        long = len(raw) > LONGEST_NAME
        if long and len(raw) > self._longest_typed:
            return self._too_long(raw)
        variants = literal_keys(raw) if long else typed_variants(raw)
        if not variants:
            return Match(-1, problem="empty", detail="il nome del comune è vuoto")
        for v in variants:
            if v.loose in self.aliases:
                return Match(self.aliases[v.loose], "alias")
        hint = province_code(province) if province else ""
        contradicted: tuple[str, frozenset[int], NameKeys, str] | None = None
        for level in LEVELS:
            for v in variants:
                ids = self.index[level].get(getattr(v, level))
                if not ids:
                    continue
                prov = hint or v.province
                narrowed = self._narrow(ids, prov, domains)
                if len(narrowed) == 1:
                    return Match(next(iter(narrowed)), level)
                if len(narrowed) > 1:
                    return self._ambiguous(raw, narrowed)
                # The province rules every candidate out: look further before deciding.
                contradicted = contradicted or (level, frozenset(ids), v, prov)
        if contradicted:
            level, candidates, v, prov = contradicted
            if self._other_real_comune(v, prov):
                # A real comune that does not take part: no alias to suggest.
                return Match(-1, problem="not_participating",
                             detail=f"{visible(clean(raw))} ({prov}) non è nell'elenco dei comuni partecipanti")  # fmt: skip
            if len(candidates) == 1:
                return Match(next(iter(candidates)), level, detail="provincia indicata diversa da quella dell'elenco")
            return self._ambiguous(raw, candidates)
        for v in variants:
            if v.loose in self._national["loose"] or v.compact in self._national["compact"]:
                real = self._national["loose"].get(v.loose) or self._national["compact"][v.compact]
                where = ", ".join(sorted(f"{n} ({p})" for n, p in real))
                return Match(-1, problem="not_participating",
                             detail=f"{where} esiste ma non è nell'elenco dei comuni partecipanti")  # fmt: skip
        return self._too_long(raw) if long else self._fuzzy(raw, variants, hint, domains)

    def match_many(self, keys: Iterable[tuple[str, str, str]]) -> list[Match]:
        """``match`` for many (name, province, code) keys, remembered across loads of the same list."""
        keys = list(keys)
        memo = _memo_for(self.signature)
        todo = [k for k in dict.fromkeys(keys) if k not in memo]
        for key in [k for k in todo if len(k[0]) > LONGEST_NAME]:  # answered without the name work
            memo[key] = self.match(*key)
        todo = [k for k in todo if len(k[0]) <= LONGEST_NAME]
        if todo:
            frame = keys_frame(pd.Series([k[0] for k in todo], dtype=str), typed=True)
            plain = ~(
                frame["exact"].str.contains(_VARIANT_MAKERS, regex=True)
                | frame["loose"].str.contains(_SAINTS, regex=True)
            )
            tail = frame["exact"].str.extract(_PROVINCE_TAIL).fillna("")
            tail[0] = tail[0].where(~frame["exact"].str.contains(_ARTICLE_START, regex=True), "")
            rows = zip(todo, frame["exact"], frame["loose"], frame["compact"], plain, tail[0], tail[1], strict=True)
            slow = []
            for key, exact, loose, compact, is_plain, body, sigla in rows:
                found = self._fast(key, exact, loose, compact, is_plain)
                if found is None and body:
                    found = self._fast_with_province(key, body, sigla)
                if found is None:
                    slow.append((key, compact))
                else:
                    memo[key] = found
            # The slow ones are mostly typos: measure them against every name in one batch.
            self.prefetch_close(c for key, c in slow if c not in self.index["compact"])
            for key, _ in slow:
                memo[key] = self.match(*key)
        return [memo[k] for k in keys]

    def _fast(self, key: tuple[str, str, str], exact: str, loose: str, compact: str, plain: bool) -> Match | None:
        """What ``match`` concludes, without its work, for the common cases; None for the others.

        A name with no hint to weigh and no alias that could take precedence is the one listed
        comune it names exactly; when the text can give no other variant (no province tail,
        article or abbreviated saint), also the one it names once accents, punctuation or spaces
        are set aside.
        """
        if key[1] or key[2] or self.aliases:
            return None
        ids = self.index["exact"].get(exact)
        if ids:
            return Match(next(iter(ids)), "exact") if len(ids) == 1 else None
        if not plain:
            return None
        for level, text in (("loose", loose), ("compact", compact)):
            ids = self.index[level].get(text)
            if ids:
                return Match(next(iter(ids)), level) if len(ids) == 1 else None
        return None

    def _fast_with_province(self, key: tuple[str, str, str], body: str, sigla: str) -> Match | None:
        """ "Name (PR)": the one listed comune of that exact name in that province, else None."""
        prov = province_code(sigla)
        if key[1] or key[2] or self.aliases or not prov:
            return None
        ids = {i for i in self.index["exact"].get(body.strip(" .,;:-"), ()) if self.provinces[i] in (prov, "")}
        return Match(next(iter(ids)), "exact") if len(ids) == 1 else None

    def candidates_text(self, ids: Iterable[int]) -> str:
        return ", ".join(sorted(self.label(i) for i in ids))

    def label(self, cid: int) -> str:
        prov = self.provinces[cid]
        return f"{self.names[cid]} ({prov})" if prov else self.names[cid]

    # -- internals ----------------------------------------------------------------------------
    # The national list is needed only off the fast path: loaded on first use.
    @cached_property
    def _national(self) -> dict[str, dict[str, set[tuple[str, str]]]]:
        return _national_index()

    @cached_property
    def _nat_by_len(self) -> _ByLength:
        participating = self.index["compact"]
        return _ByLength([c for c in self._national["compact"] if c not in participating])

    def _narrow(self, ids: Iterable[int], prov: str, domains: Iterable[str]) -> set[int]:
        out = set(ids)
        if prov:
            out = {i for i in out if self.provinces[i] in (prov, "")}
        if len(out) > 1:
            doms = [d for d in domains if d]
            by_domain = {i for i in out if any(self._domain_fits(i, d) for d in doms)}
            if by_domain:
                out = by_domain
        return out

    def _domain_fits(self, cid: int, domain: str) -> bool:
        if domain in self.domains[cid]:
            return True
        labels = domain.split(".")[:-1]
        return bool(self.provinces[cid]) and self.provinces[cid].lower() in labels

    def _other_real_comune(self, v: NameKeys, prov: str) -> bool:
        """A real comune with this name exists in ``prov`` and is not one of the listed ones."""
        found = self._national["loose"].get(v.loose, set()) | self._national["compact"].get(v.compact, set())
        listed = {(self.provinces[i]) for i in self.index["loose"].get(v.loose, set())}
        return any(p == prov and p not in listed for _, p in found)

    def _ambiguous(self, raw: str, ids: Iterable[int]) -> Match:
        return Match(-1, problem="ambiguous",
                     detail=f"'{visible(clean(raw))}' può essere {self.candidates_text(ids)}: indica la provincia o aggiungi un alias",
                     suggestion=" / ".join(sorted(self.label(i) for i in ids)))  # fmt: skip

    @staticmethod
    def _too_long(raw: str) -> Match:
        return Match(-1, problem="unknown",
                     detail=f"'{visible(clean(raw[:QUOTE_LIMIT]))}' non è il nome di un comune ({len(raw)} caratteri)")  # fmt: skip

    def _fuzzy(self, raw: str, variants: tuple[NameKeys, ...], hint: str, domains: Iterable[str]) -> Match:
        for v in variants:
            q = v.compact
            if len(q) < 5:
                continue
            part, national = self._close(q)
            if not part:
                continue
            best = min(d for _, d in part)
            ids: set[int] = set()
            for choice, d in part:
                if d == best:
                    ids |= self.index["compact"][choice]
            ids = self._narrow(ids, hint or v.province, domains) or ids
            rivals = [(c, d) for c, d in national if d <= best]
            if len(ids) == 1 and not rivals:
                cid = next(iter(ids))
                return Match(cid, "fuzzy", detail=f"'{visible(clean(raw))}' letto come {self.label(cid)}")
            if rivals:
                names = ", ".join(sorted({f"{n} ({p})" for c, _ in rivals for n, p in self._national["compact"][c]}))
                return Match(-1, problem="unknown",
                             detail=f"'{visible(clean(raw))}' somiglia sia a {self.candidates_text(ids)} sia a {names} (non partecipante)",
                             suggestion=self.candidates_text(ids))  # fmt: skip
            return self._ambiguous(raw, ids)
        return Match(-1, problem="unknown", detail=f"'{visible(clean(raw))}' non corrisponde a nessun comune dell'elenco",
                     suggestion=self._suggest(variants[0]))  # fmt: skip

    @staticmethod
    def _limit(q: str) -> int:
        """How many edits a typo may be: one, two for long names."""
        return 1 if len(q) < 10 else 2

    def _close(self, q: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """Listed and other real comuni (compact keys) within the typo limit of ``q``, with distances."""
        if q not in self._closeness:
            self.prefetch_close([q])
        return self._closeness[q]

    def prefetch_close(self, queries: Iterable[str]) -> None:
        """Compute ``_close`` for many queries at once, grouped by length, on every core."""
        groups: dict[int, list[str]] = defaultdict(list)
        for q in dict.fromkeys(queries):
            if len(q) >= 5 and q not in self._closeness:
                groups[len(q)].append(q)
        for length, qs in groups.items():
            limit = self._limit(qs[0])
            found: list[list[list[tuple[str, int]]]] = []
            # An edit distance is at least the difference in length: compare only those in reach.
            for by_length in (self._part_by_len, self._nat_by_len):
                choices = by_length.near(length, limit)
                if not choices:
                    found.append([[] for _ in qs])
                    continue
                dist = process.cdist(qs, choices, scorer=OSA.distance, score_cutoff=limit, workers=-1)
                found.append([[(choices[j], int(row[j])) for j in np.flatnonzero(row <= limit)] for row in dist])
            for q, part, national in zip(qs, found[0], found[1], strict=True):
                self._closeness[q] = (part, national)

    def _suggest(self, v: NameKeys) -> str:
        """The listed comune the PM most likely meant: a close spelling, or a listed name inside the text."""
        best = process.extractOne(v.loose, self._part_loose, scorer=fuzz.ratio, score_cutoff=75)
        if best:
            return self.candidates_text(self.index["loose"][best[0]])
        padded = f" {v.loose} "
        inside = [k for k in self._part_loose if len(k) >= 4 and f" {k} " in padded]
        return self.candidates_text(self.index["loose"][max(inside, key=len)]) if inside else ""

    def _resolve_aliases(self, aliases: Mapping[str, str]) -> dict[str, int]:
        """Config aliases: typed text -> a listed comune given by code, "Name (PR)" or name."""
        out: dict[str, int] = {}
        for typed, target in aliases.items():
            result = self.match(str(target), code=str(target)) if target else Match(-1)
            if not result.matched:
                raise InputError(
                    f"Alias '{typed}' = '{target}' nella configurazione: '{target}' non è un comune "
                    f"dell'elenco ({PROBLEM_LABELS.get(result.problem, 'non trovato')})."
                )
            for v in typed_variants(str(typed)):
                out[v.loose] = result.cid
        return out


# Texts from which typed_variants derives more than one variant (see rollout.read.names).
_VARIANT_MAKERS = r"[(\[\],/-]|\bprov|\s[a-z]{2}$|^(?:della|del|dell'|dei|degli|delle)\b"
_SAINTS = r"\b(?:s|st|sta|sto|ss)\b"
_PROVINCE_TAIL = r"^(.+?)\s*\(\s*([a-z]{2})\s*\)$"
_ARTICLE_START = r"^(?:della|del|dell'|dei|degli|delle)\b"


class _ByLength:
    """Keys grouped by length: an edit distance is at least the difference in length."""

    def __init__(self, keys: list[str]) -> None:
        self._groups: dict[int, list[str]] = defaultdict(list)
        for k in keys:
            self._groups[len(k)].append(k)
        self._near: dict[tuple[int, int], list[str]] = {}

    def near(self, length: int, reach: int) -> list[str]:
        """The keys whose length is within ``reach`` of ``length``."""
        key = (length, reach)
        if key not in self._near:
            self._near[key] = [k for n in range(length - reach, length + reach + 1) for k in self._groups.get(n, ())]
        return self._near[key]


_MEMO: dict[tuple, dict[tuple[str, str, str], Match]] = {}
_MEMO_LISTS = 4


_MEMO_LOCK = threading.Lock()


def _memo_for(signature: tuple) -> dict[tuple[str, str, str], Match]:
    """Results for one comuni list; a match is a pure function of the list and the typed key."""
    with _MEMO_LOCK:
        if signature not in _MEMO:
            while len(_MEMO) >= _MEMO_LISTS:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[signature] = {}
        return _MEMO[signature]


NationalIndex = dict[str, dict[str, set[tuple[str, str]]]]


@lru_cache(maxsize=1)
def _national_index() -> NationalIndex:
    """Keys of every real comune -> (name, province); kept in a reference cache between processes."""
    cache = ReferenceCache("national-index", [Path(names_file), Path(text_file)])
    stored = cache.read()
    if stored is not None:
        return {lvl: {k: {(n, p) for n, p in v} for k, v in table.items()} for lvl, table in stored.items()}
    index: NationalIndex = {"loose": defaultdict(set), "compact": defaultdict(set)}
    national = national_comuni()
    for m, keys in zip(national, all_official_keys(pd.Series([m.name for m in national], dtype=str)), strict=True):
        for k in keys:
            index["loose"][k.loose].add((m.name, m.province))
            index["compact"][k.compact].add((m.name, m.province))
    index = {k: dict(v) for k, v in index.items()}
    cache.write({lvl: {k: sorted(v) for k, v in table.items()} for lvl, table in index.items()})
    return index


def alias_line(typed: str, comune: str) -> str:
    """A ready-to-paste TOML line for the [aliases] table of the configuration."""
    return f'"{_toml_escape(clean(typed))}" = "{_toml_escape(comune)}"'


def _toml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')

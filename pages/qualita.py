"""Qualità dati: every input row accounted for, and what to fix in the data or the configuration."""

import streamlit as st

from rollout.italian import agree, number, of_total, outcome_counts, rows_read
from rollout.keys import ComuniCols as C
from rollout.keys import QualityCols as Q
from ui.context import current, header
from ui.derived import quality_tables
from ui.format import compact, fit_height, md_escape, text_width, wrapped
from ui.privacy import hide_personal, notice

ctx = current()
snap = ctx.snap
header(ctx, "Qualità dati")

counts = snap.outcome_counts
total = len(snap.rows)
st.markdown(f"**{rows_read(total)}**: {outcome_counts(counts)}. Totale: {number(sum(counts.values()))}.")
tables = quality_tables(snap, ctx.key)  # built once per snapshot
exact, recognised = tables["exact"], tables["recognised"]
st.markdown(
    f"**Nome del comune esatto**: {of_total(exact, recognised, 'risposta', 'risposte')} con il comune riconosciuto "
    f"{agree(exact, 'riporta', 'riportano')} il nome "
    "esattamente come nell'elenco, come lo scrive il link precompilato del modulo"
    + ("." if ctx.config.form_prefill_field else " (link precompilato non configurato: vedi form_prefill_field).")
)
for note in (*snap.comuni_list.notes, *snap.responses.notes):
    st.info(md_escape(note))

unmatched = tables["unmatched"]
# In screenshot mode the employees' names, emails and free texts are left out.
invalid = hide_personal(tables["invalid"])
replaced = hide_personal(tables["replaced"])
unknown = hide_personal(tables["unknown"])
duplicates = hide_personal(tables["duplicates"])
notice()
excluded = snap.comuni_list.excluded

tabs = st.tabs([
    f"Comuni non riconosciuti ({number(len(unmatched))})",
    f"Risposte non valide ({number(len(invalid))})",
    f"Risposte sostituite ({number(len(replaced))})",
    f"Testi non riconosciuti ({number(len(unknown))})",
    f"Possibili doppioni ({number(len(duplicates))})",
    f"Elenco comuni ({number(len(excluded))})",
])  # fmt: skip
with tabs[0]:
    st.caption("Righe il cui comune non è nell'elenco dei partecipanti o non è stato riconosciuto con certezza.")
    st.dataframe(
        unmatched, hide_index=True, key="q_unmatched", **wrapped(len(unmatched)),
        column_order=[Q.ROW, Q.COMUNE_TYPED, Q.PROBLEM, Q.SUGGESTION],  # the aliases: in the block below
        column_config={Q.ROW: st.column_config.NumberColumn("Riga", width=60),
                       Q.COMUNE_TYPED: st.column_config.TextColumn("Comune scritto", width=text_width(unmatched[Q.COMUNE_TYPED], "Comune scritto", most=240)),
                       Q.PROBLEM: "Problema",
                       Q.SUGGESTION: st.column_config.TextColumn("Suggerimento", width=text_width(unmatched[Q.SUGGESTION], "Suggerimento", most=220))},
    )  # fmt: skip
    lines = [a for a in unmatched[Q.ALIAS] if a]
    if lines:
        st.markdown("Se i suggerimenti sono giusti, aggiungi queste righe a `rollout.toml`:")
        st.code("[aliases]\n" + "\n".join(dict.fromkeys(lines)), language=None)  # no colours below 4.5:1
with tabs[1]:
    st.dataframe(
        invalid, hide_index=True, key="q_invalid", **wrapped(len(invalid)),
        column_config={Q.ROW: st.column_config.NumberColumn("Riga", width=60),
                       Q.COMUNE_TYPED: st.column_config.TextColumn("Comune scritto", width=text_width(invalid[Q.COMUNE_TYPED], "Comune scritto", most=200)),
                       Q.COMUNE: st.column_config.TextColumn("Comune", width=text_width(invalid[Q.COMUNE], "Comune", most=200)),
                       Q.REASON: "Motivo", Q.NAME: st.column_config.TextColumn("Dipendente", width=160)},
    )  # fmt: skip
with tabs[2]:
    st.caption("Per ogni dipendente vale la risposta più recente: queste sono state corrette da una successiva.")
    st.dataframe(
        compact(replaced), hide_index=True, key="q_replaced",
        **(wrapped(len(replaced)) if text_width(replaced.get(Q.NOTE, ())) > 260 else {"height": fit_height(len(replaced))}),
        column_config={Q.ROW: st.column_config.NumberColumn("Riga", width=60),
                       Q.REPLACED_BY: st.column_config.NumberColumn("Sostituita dalla riga", width=text_width([], "Sostituita dalla riga")),
                       Q.COMUNE: st.column_config.TextColumn("Comune", width=text_width(replaced[Q.COMUNE], "Comune", most=200)),
                       Q.NAME: st.column_config.TextColumn("Dipendente", width=text_width(replaced.get(Q.NAME, ()), "Dipendente", most=180)),
                       Q.EMAIL: st.column_config.TextColumn("Email", width=text_width(replaced.get(Q.EMAIL, ()), "Email", most=280)),
                       Q.NOTE: st.column_config.TextColumn("Nota", width=260)},
    )  # fmt: skip
with tabs[3]:
    st.caption("Testi nella risposta sui permessi che non corrispondono a nessuno dei sette (es. «Altro»).")
    st.dataframe(
        compact(unknown), hide_index=True, key="q_unknown", height=fit_height(len(unknown)),
        column_config={Q.ROW: "Riga", Q.COMUNE: "Comune", Q.TEXT: "Testo", Q.COUNTED: st.column_config.CheckboxColumn("Riga conteggiata")},
    )  # fmt: skip
with tabs[4]:
    st.caption("Stesso nome nello stesso comune con identità diverse (es. una volta con email, una senza).")
    st.dataframe(
        duplicates,
        hide_index=True,
        height=fit_height(len(duplicates)),
        key="q_duplicates",
        column_config={Q.COMUNE: "Comune", Q.NAME: "Dipendente", Q.ROWS: "Righe"},
    )
with tabs[5]:
    st.caption("Righe dell'elenco dei comuni escluse, con il motivo.")
    st.dataframe(
        excluded,
        hide_index=True,
        key="q_excluded",
        height=fit_height(len(excluded)),
        column_config={C.ROW: "Riga", C.NAME: "Comune", C.REASON: "Motivo"},
    )

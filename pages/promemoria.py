"""Promemoria: who to chase and why, with the lists to download."""

import streamlit as st

from rollout.export import to_csv_bytes, to_xlsx_bytes
from rollout.report import reminders_table
from ui.context import current, header
from ui.labels import STATUS_BADGES

ctx = current()
header(ctx, "Promemoria")
table = reminders_table(ctx.snap, ctx.view)
no_answer = int(table["status"].isin(["pending", "missing"]).sum())
st.markdown(
    f"**{len(table)} comuni da sollecitare**: {no_answer} senza risposta valida, "
    f"{len(table) - no_answer} hanno risposto ma senza editor Amministrazione Trasparente."
)

labels = {
    "comune": "Comune", "province": "Provincia", "code": "Codice", "status_label": "Stato", "reasons": "Motivo",
    "missing_permissions": "Permessi mancanti", "days_late": "Giorni di ritardo", "contact_name": "Referente",
    "contact": "Contatto", "contact_source": "Fonte del contatto", "wave": "Ondata",
}  # fmt: skip
export = table.drop(columns=["status"])
stamp = ctx.settings.as_of_local.strftime("%Y%m%d")
left, right, _ = st.columns([1, 1, 4])
left.download_button("Scarica CSV", to_csv_bytes(export), f"promemoria_{stamp}.csv", "text/csv", icon="⬇️", key="dl_csv")
right.download_button(
    "Scarica Excel",
    to_xlsx_bytes(export, "Promemoria", labels),
    f"promemoria_{stamp}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon="⬇️",
    key="dl_xlsx",
)
shown = table.assign(status=table["status"].map(STATUS_BADGES))
st.dataframe(
    shown,
    hide_index=True,
    height=520,
    column_order=[
        "comune",
        "province",
        "status",
        "reasons",
        "missing_permissions",
        "days_late",
        "contact",
        "contact_source",
        "contact_name",
    ],
    column_config={k: labels.get(k, k) for k in shown.columns} | {"status": "Stato"},
    key="reminders",
)

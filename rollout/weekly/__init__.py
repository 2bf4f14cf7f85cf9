"""``python -m rollout weekly``: the week's routine in one scheduled command (docs/weekly.md)."""

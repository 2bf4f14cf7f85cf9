"""What the weekly run writes: report tables, files, data quality, charts and the status picture."""

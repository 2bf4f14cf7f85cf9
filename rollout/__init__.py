"""Rollout tracker core: reads the two tables, decides the status, writes the outputs; never imports Streamlit."""

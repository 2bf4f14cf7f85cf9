"""Rollout tracker domain core: pure pandas, no Streamlit."""

"""The dashboard's pages: Streamlit scripts run by `st.navigation` (each renders under `__main__`)."""

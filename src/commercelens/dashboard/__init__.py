"""The Streamlit dashboard (`commercelens dashboard`): `app.py` is the entry, `views/` the pages.

Pages read through `loaders` (cached) -> `data` and the report's readers (`report.data`,
`report.models`) -> the warehouse; charts are Altair (`charts`). No page holds SQL.
"""

"""The dashboard's entry: `commercelens dashboard` runs `streamlit run` on this file.

The workdir comes from COMMERCELENS_HOME (the command sets it), or from `--workdir DIR` after
`--` when started by hand: `streamlit run app.py -- --workdir .commercelens`.
"""

from __future__ import annotations

import argparse
import os
import sys

import streamlit as st

# (file under views/, title, icon, url path)
PAGES = (
    ("overview.py", "Overview", ":material/dashboard:", "overview"),
    ("rail.py", "Rail", ":material/train:", "rail"),
    ("shop.py", "Shop funnel", ":material/shopping_cart:", "shop"),
    ("fraud.py", "Fraud", ":material/gpp_maybe:", "fraud"),
    ("models.py", "Models", ":material/model_training:", "models"),
    ("experiments.py", "Experiments", ":material/science:", "experiments"),
    ("pricing.py", "Pricing simulator", ":material/sell:", "pricing"),
)


def workdir_from_args(argv: list[str]) -> None:
    """`--workdir DIR` (and `--target`) after `--` override the environment."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workdir")
    parser.add_argument("--target")
    known, _ = parser.parse_known_args(argv)
    if known.workdir:
        os.environ["COMMERCELENS_HOME"] = known.workdir
    if known.target:
        os.environ["COMMERCELENS_TARGET"] = known.target


def main() -> None:
    workdir_from_args(sys.argv[1:])
    st.set_page_config(page_title="CommerceLens", page_icon=":material/insights:", layout="wide")
    from commercelens.dashboard import common, loaders

    pages = [
        st.Page(f"views/{file}", title=title, icon=icon, url_path=path, default=i == 0)
        for i, (file, title, icon, path) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    with st.sidebar:
        where = common.workdir()
        st.caption(f"Workdir: `{where.home}`  \nWarehouse: {where.target}")
        if st.button("Reload data", icon=":material/refresh:", help="Read the warehouse and models again"):
            loaders.clear()
    page.run()


if __name__ == "__main__":
    main()

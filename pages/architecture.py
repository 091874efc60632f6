import streamlit as st

from pages.shared import sidebar

config = sidebar()
st.title("Architecture")
st.info("This page is being built.")

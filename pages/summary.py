import streamlit as st

from pages.shared import sidebar

config = sidebar()
st.title("Summary")
st.info("This page is being built.")

"""What the page scripts share, kept out of ``pages/`` itself so no part is ever taken for a page.

``shared`` (the sidebar and the session's configuration), the editors and views each page
composes, and ``warmup`` (what the server loads after its first page).
"""

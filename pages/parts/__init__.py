"""The parts the page scripts are made of, kept out of ``pages/`` itself so none is taken for a page.

``common/`` is what the whole app shares: the sidebar and the session's configuration
(``sidebar``), the navigation, the Start-here box, the server's warm-up, the mounted charts, the
guard every view of a run draws through, the ONNX button and the epoch estimate. Each other folder
holds the halves of one page (``architecture/`` for ``pages/architecture.py``, and so on): a page
imports ``common/`` and its own folder, never another page's (``tests/test_layout.py``).
"""

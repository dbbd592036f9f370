"""The index on disk: ``IndexFolder`` (``folder``) owns the layout; SQLite is the source of truth
(``sqlite``, ``filter_sql``), FAISS a cache of its vectors (``vectors``), the manifest says what made
it (``manifest``) and a file lock keeps one writer (``lock``)."""

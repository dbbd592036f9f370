"""Question -> ranked paragraphs: query parsing (``query``), rank fusion (``fusion``), the hybrid
``Searcher`` and the ``Retriever`` protocol the rest of cableqa uses (``searcher``)."""

"""Verification: is an answer grounded in what it cites? Citation markers (``citations``), names
(``names``), per-sentence support (``support``), the cited documents' own text (``cited_documents``),
instruction-like text (``instructions``), and the checks an answer passes (``checks``), each a pure
function returning a verdict with its evidence."""

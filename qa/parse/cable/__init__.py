"""Cable text -> ``Document``: routing header, preamble (TAGS, SUBJECT, REF), numbered paragraphs.

The pieces: pasted release rows (``records``), the routing header and classification line
(``header``), the preamble fields (``preamble``), transmission debris (``noise``), paragraph numbering
(``paragraphs``), origins from routing lines (``origins``); ``parser`` puts them together.
"""

from qa.parse.cable.parser import looks_like_cable, parse_cable, parse_tags

__all__ = ["looks_like_cable", "parse_cable", "parse_tags"]

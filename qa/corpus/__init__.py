"""Research over the collection as a whole: REF chains between cables, the TAGS glossary, and counts
of matching cables over time, origin and tag."""

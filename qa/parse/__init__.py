"""Files -> documents with numbered paragraphs: decoding, the loaders per file type, the cable parser."""

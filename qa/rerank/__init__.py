"""Second-stage ranking: a cross-encoder reads the question and each candidate paragraph together."""

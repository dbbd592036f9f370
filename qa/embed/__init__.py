"""Paragraph text -> vectors: the ``Embedder`` protocol and its loading (``loading``), the model folder
(``folder``), what text is embedded and how it is windowed (``windows``), and the two backends: int8
ONNX Runtime (``onnx_runtime``, built by ``quantize``) and sentence-transformers (``sentence_transformer``)."""

"""Ranked paragraphs -> a checked answer: the ``Answerer`` pipeline (``pipeline``), which passages and
sentences the model sees (``passages``), the prompt files (``prompts``) and the language model
(``llm``)."""

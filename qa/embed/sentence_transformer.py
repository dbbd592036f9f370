"""sentence-transformers on torch, in fp32 or bf16 (``embed.quantize``), loaded from a local folder."""

from __future__ import annotations

import numpy as np

from qa.embed.folder import ModelFolder
from qa.embed.windows import Progress, TokenWindows, sort_batches
from qa.errors import QAError
from qa.settings import EmbedSettings


class SentenceTransformerEmbedder:
    """sentence-transformers on torch, in fp32 or bf16."""

    def __init__(self, folder: ModelFolder, settings: EmbedSettings, precision: str = "fp32") -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # progress belongs to the CLI and UI
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        try:
            self.model = SentenceTransformer(str(folder.root), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure to load is a bad model folder for the user
            raise QAError(f"cannot load the embedding model from {folder.root} ({type(exc).__name__}: {exc}); "
                          "check QA_EMBED_MODEL or reinstall the model package", exit_code=4) from exc
        if precision == "bf16":
            self.model.to(torch.bfloat16)
        self.name = f"{folder.name}@{precision}"
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = settings.batch_size
        tokenizer = self.model.tokenizer

        def offsets(text: str) -> list[tuple[int, int]]:
            enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
                            verbose=False)
            return [tuple(span) for span in enc["offset_mapping"]]

        self._windows = TokenWindows(offsets, self.model.max_seq_length, settings.window_tokens,
                                     settings.window_overlap)

    def windows(self, text: str) -> list[str]:
        return self._windows.split(text)

    def count_tokens(self, text: str) -> int:
        return self._windows.count(text)

    def encode(self, texts: list[str], *, progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in sort_batches([len(t) for t in texts], self.batch_size):
            vecs = self.model.encode([texts[i] for i in batch], batch_size=len(batch), convert_to_tensor=True,
                                     normalize_embeddings=True, show_progress_bar=False)
            out[batch] = vecs.float().cpu().numpy()
            if progress:
                progress(len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

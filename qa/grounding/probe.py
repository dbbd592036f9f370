"""A linear probe of the check model's hidden state: P(the shown text answers the question).

The check model's own P(Yes) reads two output tokens; the probe reads the whole hidden state at the
position where its reply begins (``LlamaGenerator.choose_with_state``), where answerability is
linearly readable even when the model's Yes/No says otherwise. Fitted by ``train/probe.py fit`` on
tuning pairs (SQuAD train articles and the cable dev set), shipped as ``qa/data/check_probe.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from qa.errors import QAError


@dataclass(frozen=True)
class Probe:
    """Standardise, then a logistic over the hidden state."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def prob(self, state: np.ndarray) -> float:
        z = float(((np.asarray(state, dtype=np.float64) - self.mean) / self.scale) @ self.weights + self.bias)
        return float(1.0 / (1.0 + np.exp(-z)))

    @classmethod
    def load(cls, path: Path | None = None) -> Probe:
        """The packaged probe, or the weights file ``path`` (as ``train/probe.py fit`` writes it)."""
        try:
            if path is None:
                with resources.as_file(resources.files("qa.data") / "check_probe.npz") as packaged:
                    data = dict(np.load(packaged))
            else:
                data = dict(np.load(path))
            return cls(data["mean"], data["scale"], data["weights"], float(data["bias"]))
        except (OSError, KeyError, ValueError) as exc:
            raise QAError(f"cannot read the check probe {path or 'qa/data/check_probe.npz'}: {exc}") from exc

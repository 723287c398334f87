"""The numpy sentence encoder gives the vectors PyTorch gives, refuses other weights, and caches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from spinebot import paths
from spinebot.embeddings import DIMENSIONS, EmbeddingError, SentenceEncoder, model_dir, shared_encoder

REFERENCE = paths.PROJECT_ROOT / "tests" / "data" / "minilm_reference.json"


def test_vectors_match_pytorch_reference():
    """Computed once with PyTorch and transformers' BertModel (see the file's "about")."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["vectors"]
    texts = [item["text"] for item in reference]
    expected = np.array([item["vector"] for item in reference])
    got = shared_encoder().encode(texts)
    assert got.shape == (len(texts), DIMENSIONS)
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_paraphrases_are_closer_than_other_topics():
    a, b, c = shared_encoder().encode(
        ["what is laser spine surgery?", "how does the laser back operation work", "will it rain in London tomorrow"]
    )
    assert float(a @ b) > 0.6 > float(a @ c) + 0.4


def test_a_very_long_message_is_cut_not_refused():
    vector = shared_encoder().encode(["my back hurts " * 2000])
    assert vector.shape == (1, DIMENSIONS) and np.isfinite(vector).all()


def test_altered_weights_are_refused(tmp_path: Path):
    copy = tmp_path / "model"
    shutil.copytree(model_dir(), copy)
    with (copy / "model.safetensors").open("r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 1]))
    with pytest.raises(EmbeddingError, match="SHA-256"):
        SentenceEncoder(copy)


def test_missing_weights_are_named(tmp_path: Path):
    with pytest.raises(EmbeddingError, match="not found"):
        SentenceEncoder(tmp_path)


def test_cache_gives_the_same_vectors_and_encodes_only_new_texts(tmp_path: Path, monkeypatch):
    encoder = shared_encoder()
    cache = tmp_path / "cache.npz"
    first = encoder.encode_cached(["is IDD painful?", "what is FBSS?"], cache)
    encoded: list = []
    real_encode = encoder.encode

    def counting_encode(texts):
        encoded.extend(texts)
        return real_encode(texts)

    monkeypatch.setattr(encoder, "encode", counting_encode)
    again = encoder.encode_cached(["what is FBSS?", "is IDD painful?", "new one"], cache)
    assert encoded == ["new one"]
    assert np.array_equal(again[:2], first[::-1])
    assert np.allclose(again[2], real_encode(["new one"])[0])

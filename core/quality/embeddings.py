"""Embeddings of problem statements, projected to a few dimensions for k-NN estimators.

Offline by default (TF-IDF + truncated SVD). An `embed(texts) -> np.ndarray` hook can
replace it, for instance `openai_embedder(...)` for any OpenAI-compatible endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

Embed = Callable[[Sequence[str]], np.ndarray]
DIMS = 10


def _dims(dims: int, n_rows: int, n_cols: int) -> int:
    return max(1, min(dims, n_rows - 1, n_cols - 1))


def embed_sets(
    texts: Sequence[str],
    reference: Sequence[str] = (),
    embed: Embed | None = None,
    dims: int = DIMS,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Embed `texts` and `reference` in one shared space of about `dims` dimensions.

    Returns (set vectors, reference vectors, method). Both sets are projected with the
    same fitted projection, so distances between them mean something.
    """
    everything = list(texts) + list(reference)
    if embed is None:
        matrix = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1).fit_transform(
            everything
        )
        k = _dims(dims, *matrix.shape)
        vectors = TruncatedSVD(n_components=k, random_state=0).fit_transform(matrix)
        method = f"tfidf+svd({k})"
    else:
        raw = np.asarray(embed(everything), dtype=float)
        if raw.shape[0] != len(everything):
            raise ValueError(f"embed returned {raw.shape[0]} vectors for {len(everything)} texts")
        k = _dims(dims, *raw.shape)
        vectors = (
            raw if raw.shape[1] <= dims else PCA(n_components=k, random_state=0).fit_transform(raw)
        )
        method = f"custom+pca({vectors.shape[1]})"
    return vectors[: len(texts)], vectors[len(texts) :], method


def openai_embedder(
    base_url: str, model: str, api_key: str | None = None, batch_size: int = 256
) -> Embed:
    """An `embed` hook that calls an OpenAI-compatible `/embeddings` endpoint."""
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key=api_key or "not-needed")

    def embed(texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), batch_size):
            response = client.embeddings.create(
                model=model, input=list(texts[start : start + batch_size])
            )
            rows.extend(d.embedding for d in sorted(response.data, key=lambda d: d.index))
        return np.asarray(rows, dtype=float)

    return embed

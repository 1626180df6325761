"""k-nearest-neighbour estimators of entropy and KL divergence (as used by InfoSynth).

- Entropy: Kozachenko & Leonenko (1987),
  H = psi(n) - psi(k) + log V_d + (d / n) * sum_i log eps_i,
  eps_i the distance from x_i to its k-th nearest neighbour, V_d the volume of the
  unit d-ball.
- KL divergence D(P || Q): Wang, Kulkarni & Verdu (2009),
  D = (d / n) * sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),
  rho_k(i) the distance from x_i to its k-th neighbour among the other n - 1 samples
  of P, nu_k(i) the distance to its k-th neighbour among the m samples of Q.

Both are in nats. Repeated points have zero distances, which the estimators cannot
use; duplicate rows are dropped first, and zero cross-distances are floored.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln

_FLOOR = 1e-12


def _points(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return np.unique(x, axis=0)


def _kth_distance(tree: cKDTree, x: np.ndarray, k: int) -> np.ndarray:
    distances, _ = tree.query(x, k=k)
    distances = distances if distances.ndim == 1 else distances[:, -1]
    return np.maximum(distances, _FLOOR)


def kl_entropy(x: np.ndarray, k: int = 3) -> float:
    """Kozachenko-Leonenko differential entropy (nats) of the samples `x` (n x d)."""
    x = _points(x)
    n, d = x.shape
    if n <= k:
        raise ValueError(f"need more than k={k} distinct points, got {n}")
    eps = _kth_distance(cKDTree(x), x, k + 1)  # the nearest point is x_i itself
    log_unit_ball = (d / 2) * math.log(math.pi) - gammaln(d / 2 + 1)
    return float(digamma(n) - digamma(k) + log_unit_ball + d * np.mean(np.log(eps)))


def kl_divergence(x: np.ndarray, y: np.ndarray, k: int = 1) -> float:
    """Wang-Kulkarni-Verdu estimate of D(P || Q) (nats) from samples x ~ P and y ~ Q."""
    x, y = _points(x), _points(y)
    n, d = x.shape
    m = y.shape[0]
    if y.shape[1] != d:
        raise ValueError("x and y must have the same dimension")
    if n <= k or m < k:
        raise ValueError(f"need more than k={k} distinct points in x and at least k in y")
    rho = _kth_distance(cKDTree(x), x, k + 1)
    nu = _kth_distance(cKDTree(y), x, k)
    return float(d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1)))

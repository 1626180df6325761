"""k-NN estimators against distributions with known entropy and KL divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.quality.estimators import kl_divergence, kl_entropy


def gaussian_entropy(d: int, sigma: float) -> float:
    return 0.5 * d * math.log(2 * math.pi * math.e * sigma**2)


def gaussian_kl(mu1, s1, mu2, s2, d):
    """KL(N(mu1, s1^2 I) || N(mu2, s2^2 I)) in d dimensions."""
    return d * (math.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5)


@pytest.mark.parametrize("d,sigma", [(1, 1.0), (3, 1.0), (2, 2.5), (10, 0.5)])
def test_entropy_of_a_gaussian(d, sigma):
    x = np.random.default_rng(d).normal(0, sigma, (4000, d))
    assert kl_entropy(x) == pytest.approx(gaussian_entropy(d, sigma), abs=0.1 * max(1, d / 3))


def test_entropy_grows_with_spread():
    rng = np.random.default_rng(0)
    assert kl_entropy(rng.normal(0, 2, (1000, 5))) > kl_entropy(rng.normal(0, 1, (1000, 5))) + 3


# large divergences converge slowly (about 3.7 for a true 4 at n=3000), so keep them moderate
@pytest.mark.parametrize("mu2,s2", [(1.0, 1.5), (1.0, 1.0), (0.0, 3.0)])
def test_kl_between_two_gaussians(mu2, s2):
    rng = np.random.default_rng(1)
    p, q = rng.normal(0, 1, (3000, 2)), rng.normal(mu2, s2, (3000, 2))
    assert kl_divergence(p, q) == pytest.approx(gaussian_kl(0, 1, mu2, s2, 2), abs=0.08)


def test_kl_of_same_distribution_is_near_zero_and_duplicates_are_harmless():
    rng = np.random.default_rng(2)
    p = rng.normal(0, 1, (2000, 3))
    q = rng.normal(0, 1, (2000, 3))
    assert abs(kl_divergence(p, q)) < 0.08
    assert math.isfinite(kl_divergence(np.vstack([p, p[:50]]), np.vstack([q, p[:10]])))
    assert math.isfinite(kl_entropy(np.vstack([p, p])))


def test_too_few_points_is_a_clear_error():
    with pytest.raises(ValueError, match="distinct points"):
        kl_entropy(np.zeros((10, 2)))

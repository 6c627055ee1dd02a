"""The feature registry: every feature's name, description, family and dtype, in one place.

Training, serving, the explanations and the docs all read it; a feature module
registers its features next to the code that computes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeatureDtype = Literal["float", "int", "bool", "category"]


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: what it is called, what it means, which family it belongs to."""

    name: str
    description: str
    family: str
    dtype: FeatureDtype = "float"


REGISTRY: dict[str, FeatureSpec] = {}


def register(*specs: FeatureSpec) -> tuple[FeatureSpec, ...]:
    """Add features to the registry (names are unique) and return them."""
    for spec in specs:
        if spec.name in REGISTRY and REGISTRY[spec.name] != spec:
            raise ValueError(f"feature {spec.name!r} registered twice")
        REGISTRY[spec.name] = spec
    return specs

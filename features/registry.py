"""The feature registry: every feature's name, description, family and dtype, in one place.

Training, serving, the explanations and the docs all read it; a feature module
registers its features next to the code that computes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from config.language import Language

FeatureDtype = Literal["float", "int", "bool", "category"]
Direction = Literal[-1, 0, 1]


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: what it is called, what it means, which family it belongs to."""

    name: str
    description: str
    description_fr: str = field(default="", kw_only=True)
    """The meaning in French, for the credit managers who read it (``ENCOURS_LANG=fr``).
    Keyword-only, so that the fields after it keep their places in positional calls."""
    family: str
    dtype: FeatureDtype = "float"
    direction: Direction = 0
    """How late payment moves with the feature, where that is known beforehand: 1 likelier
    as it grows, -1 less likely, 0 free. The late-payment model keeps to it, so that its
    reasons never say "paid late less often, hence riskier"."""

    def describe(self, lang: Language) -> str:
        """The meaning in ``lang``; the English one where no French was written."""
        return self.description_fr if lang == "fr" and self.description_fr else self.description


REGISTRY: dict[str, FeatureSpec] = {}


def register(*specs: FeatureSpec) -> tuple[FeatureSpec, ...]:
    """Add features to the registry (names are unique) and return them."""
    for spec in specs:
        if spec.name in REGISTRY and REGISTRY[spec.name] != spec:
            raise ValueError(f"feature {spec.name!r} registered twice")
        REGISTRY[spec.name] = spec
    return specs


def directions(names: Iterable[str]) -> list[int]:
    """Each feature's :attr:`FeatureSpec.direction`; 0 for a name not registered."""
    return [REGISTRY[name].direction if name in REGISTRY else 0 for name in names]

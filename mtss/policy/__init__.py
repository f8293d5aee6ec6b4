"""District policy documents: schema, validation and the built-in presets.

from mtss.policy import validate_policy, load_preset
policy = load_preset("loudon-county-tn")
policy.tier(2).dosage.minutes_per_session  # 30
"""

from mtss.policy.builtin import load_preset, preset_data, preset_names
from mtss.policy.schema import (
    SCHEMA_VERSION,
    PolicyDocument,
    PolicyError,
    PolicyValidationError,
    leaf_paths,
    validate_policy,
)

__all__ = [
    "SCHEMA_VERSION",
    "PolicyDocument",
    "PolicyError",
    "PolicyValidationError",
    "leaf_paths",
    "load_preset",
    "preset_data",
    "preset_names",
    "validate_policy",
]

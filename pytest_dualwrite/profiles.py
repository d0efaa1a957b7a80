"""The hypothesis profiles `--dualwrite-profile` picks: `quick` locally, `thorough` in CI.

A default run is hypothesis' 100 examples per item, minutes for a real project. Locally a
developer wants the checks to say "nothing obviously broken" in seconds; CI can afford to
look harder. The profiles are registered with hypothesis under `dualwrite-<name>` (a
user's own profile called `quick` is left alone), and apply to the plugin's items only:
a user's hand-written hypothesis tests keep `--hypothesis-profile`.
"""

from __future__ import annotations

from typing import Any

import hypothesis

# name -> hypothesis settings. `stateful_step_count` is the length of one state-machine
# example (`dual_write_keeps_both_equal`); without a profile the plugin uses 25.
PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"max_examples": 10, "stateful_step_count": 10},
    "thorough": {"max_examples": 500, "stateful_step_count": 50},
}


def hypothesis_name(profile: str) -> str:
    """The name the profile is registered under with hypothesis."""
    return f"dualwrite-{profile}"


def parse_profile(value: str) -> str:
    """A profile name as a setting: an unknown one fails naming the choices."""
    name = value.strip().lower()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {value!r} (choose from {', '.join(PROFILES)})")
    return name


def register_profiles() -> None:
    """Register every profile with hypothesis (idempotent: same names, same settings)."""
    for name, values in PROFILES.items():
        hypothesis.settings.register_profile(hypothesis_name(name), **values)


def profile_settings(profile: str | None) -> hypothesis.settings:
    """The settings the plugin's items start from: the profile's, or the current ones."""
    if profile is None:
        return hypothesis.settings()
    register_profiles()
    return hypothesis.settings.get_profile(hypothesis_name(profile))

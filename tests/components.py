"""How tests treat a missing real component or privilege: fail in CI, skip loudly locally."""

from __future__ import annotations

import os
import warnings

import pytest


def require(missing: str | None, what: str) -> None:
    """Fail (CI) or skip loudly (a developer's quick run) when ``missing`` names something."""
    if not missing:
        return
    message = f"{what} is missing ({missing}); run 'make test' as root, which installs it."
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(f"SKIPPING a real-component test locally: {message}", stacklevel=2)
    pytest.skip(f"LOCAL RUN ONLY - {message}")

"""Check types, registered by name in `base.REGISTRY` when their family module is imported."""

from appliance.security.compliance.checks import (  # noqa: F401 - imported to register
    accounts,
    app,
    composite,
    files,
    live,
    nftables,
    packages,
    sysctl,
    systemd,
)
from appliance.security.compliance.checks.base import REGISTRY, CheckType, run_check

__all__ = ["REGISTRY", "CheckType", "run_check"]

"""The sample partner app (`onyx-wizard demo`): a real HTTPS deployment on loopback.

`DemoDeployment` serves every endpoint the probes touch, correct by default; `FAULTS` names the
faults that each break one behaviour; `write_profile` writes the deployment's `profile.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import tomli_w

from onyx_wizard.demo.deployment import DemoDeployment
from onyx_wizard.demo.faults import Fault, load_faults
from onyx_wizard.demo.state import RequestRecord

__all__ = ["FAULTS", "DemoDeployment", "Fault", "RequestRecord", "write_profile"]

FAULTS: Mapping[str, Fault] = load_faults()


def write_profile(deployment: DemoDeployment, path: Path) -> Path:
    """Write the deployment's `[profile]` table to `path` (never a secret) and return it."""
    data = {"profile": deployment.profile().to_toml_dict()}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path

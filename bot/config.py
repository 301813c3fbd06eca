"""Settings from the environment, read once by `Settings.from_environment()`."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from bot.storage.db import default_database_url


class ConfigError(ValueError):
    """A setting that cannot work; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How the companion runs: its Teams identity, database, policy and address."""

    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    database_url: str = ""
    policy: str = "devon"
    host: str = "127.0.0.1"
    port: int = 3978
    demo: bool = False
    sweep_every: int = 0  # seconds between reminder sweeps in the bot's own process; 0: none here
    send_rate: float = 25.0  # messages a second at most, across all conversations (Teams allows about 50)

    @classmethod
    def from_environment(cls, **overrides: object) -> Settings:
        """Settings from the usual Bot Framework variables and our own."""
        values: dict[str, object] = {
            "app_id": os.environ.get("MicrosoftAppId", ""),  # noqa: SIM112 - the Bot Framework's own name
            "app_password": os.environ.get("MicrosoftAppPassword", ""),  # noqa: SIM112 - the Bot Framework's own name
            "app_tenant_id": os.environ.get("MicrosoftAppTenantId", ""),  # noqa: SIM112 - the Bot Framework's own name
            "app_type": os.environ.get("MicrosoftAppType", "MultiTenant"),  # noqa: SIM112 - the Bot Framework's own name
            "database_url": default_database_url(),
            "policy": os.environ.get("POLICY", "devon"),
            "host": os.environ.get("HOST", "127.0.0.1"),
            "port": int(os.environ.get("PORT", "3978")),
            "demo": os.environ.get("DEMO", "").lower() in {"1", "true", "yes"},
            "sweep_every": int(os.environ.get("SWEEP_EVERY", "300")),
            "send_rate": float(os.environ.get("SEND_RATE", "25")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def anonymous(self) -> bool:
        """With no app id the bot accepts unauthenticated traffic, for local Teams clients only."""
        return not self.app_id

    def check(self) -> None:
        """Refuse settings that would expose an unauthenticated bot, or sweep absurdly often."""
        if not 0 < self.send_rate <= 50:
            raise ConfigError(f"SEND_RATE={self.send_rate}: use a number of messages a second above 0 and at most 50")
        if self.sweep_every < 0 or 0 < self.sweep_every < 10:
            raise ConfigError(f"SWEEP_EVERY={self.sweep_every}: use 0 (no sweeps here) or at least 10 seconds")
        if self.anonymous and not _is_loopback(self.host):
            raise ConfigError(
                f"HOST={self.host}: without MicrosoftAppId the bot runs without authentication, "
                "so it listens only on this computer (127.0.0.1 or ::1)"
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""Settings: an unauthenticated bot listens only on this computer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, Settings


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_without_an_app_id_the_bot_may_listen_on_this_computer(host: str) -> None:
    Settings(host=host).check()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.org"])
def test_without_an_app_id_the_bot_refuses_to_listen_beyond_this_computer(host: str) -> None:
    with pytest.raises(ConfigError, match="without MicrosoftAppId the bot runs without authentication"):
        Settings(host=host).check()


def test_with_an_app_id_the_bot_may_listen_anywhere() -> None:
    Settings(app_id="00000000-0000-0000-0000-000000000000", app_password="secret", host="0.0.0.0").check()


def test_the_run_command_refuses_an_anonymous_bot_on_every_address_with_one_line(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"HOST": "0.0.0.0", "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: HOST=0.0.0.0: without MicrosoftAppId")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("every", [-5, 3])
def test_a_sweep_interval_that_cannot_be_right_is_refused(every: int) -> None:
    with pytest.raises(ConfigError, match="SWEEP_EVERY"):
        Settings(sweep_every=every).check()


def test_the_worker_with_nothing_to_do_says_so_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "worker"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SWEEP_EVERY": "0", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: SWEEP_EVERY=0: the worker has nothing to do; set it to the seconds between sweeps"
    )

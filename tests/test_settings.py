"""Settings parse their environment variable once, and a bad value names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox import settings
from lakebox.errors import ValidationError


def test_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAKEBOX_HOME", raising=False)
    assert settings.LAKEBOX_HOME.get() == Path("~/.lakebox").expanduser()
    monkeypatch.setenv("LAKEBOX_HOME", str(tmp_path))
    assert settings.LAKEBOX_HOME.get() == tmp_path
    monkeypatch.setenv("LAKEBOX_SERVER_START_TIMEOUT", "12.5")
    assert settings.LAKEBOX_SERVER_START_TIMEOUT.get() == 12.5


@pytest.mark.parametrize("raw", ["soon", "-1"])
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LAKEBOX_SERVER_START_TIMEOUT", raw)
    with pytest.raises(ValidationError, match=f"LAKEBOX_SERVER_START_TIMEOUT='{raw}' is not valid"):
        settings.LAKEBOX_SERVER_START_TIMEOUT.get()


def test_every_setting_is_documented() -> None:
    for setting in settings.ALL_SETTINGS:
        assert setting.doc and setting.name.isupper()

"""Top-level pytest setup: Qt runs offscreen, and no test touches the real user profile."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
# Keyring: tests never talk to the OS keyring; the credential store falls back to a file.
os.environ.setdefault("MANA_DESKTOP_KEYRING", "none")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_profile(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own XDG dirs and profile, so defaults never hit a real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("MANA_DESKTOP_DATA_DIR", str(home / "profile"))

"""Settings → Account → Spaces against the reference server: the account's Spaces listed with
the active one marked, switching it on the worker, the new Space on records written afterwards,
the active Space's name in the window header.

Real parts: the reference server on 127.0.0.1:0 (organizations, vault), a profile in tmp_path,
Qt offscreen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mana_desktop.gui import i18n
from mana_desktop.gui.settings_page import SettingsPage
from mana_desktop.gui.spaces_section import role_words, type_words
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.spaces import SpacesError
from tests.gui.test_account_switch import WAIT, signed_in_and_unlocked, write_note


def rows(page: SettingsPage) -> list[list[str]]:
    tree = page.spaces.tree
    return [[tree.topLevelItem(i).text(c) for c in range(3)] for i in range(tree.topLevelItemCount())]


def test_spaces_listed_and_switching_moves_new_records(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, artifacts_dir: Path
) -> None:
    family = reference_server.add_space("Family", "family", ["bob@example.com", "alice@example.com"])
    personal = reference_server.personal_space("alice@example.com")
    profile = Profile(tmp_path / "p")
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    app = make_app(profile)
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    page = app.window.page("settings")
    assert isinstance(page, SettingsPage)
    qtbot.waitUntil(lambda: len(rows(page)) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: app.session.vault.spaces.active_space_id == personal, timeout=WAIT)
    listed = {r[0]: r[1:] for r in rows(page)}
    family_row = next(name for name in listed if name.startswith("Family"))
    assert listed[family_row] == ["Family", "Member"] and "(active)" not in family_row
    active_row = next(name for name in listed if name.endswith("(active)"))
    assert listed[active_row][0] == "Personal"
    assert app.window.space_label.text().startswith("· ") and "Family" not in app.window.space_label.text()

    before = write_note(qtbot, app.session, "Personal note")
    stored = app.session.replica.get("notes", "notes", before)
    assert stored is not None and stored.data["spaceId"] == personal

    page.spaces.select(family)
    assert page.spaces.activate.isEnabled()
    with qtbot.waitSignal(app.session.sig_spaces_changed, timeout=WAIT):
        page.spaces.activate.click()
    qtbot.waitUntil(lambda: any(r[0] == "Family (active)" for r in rows(page)), timeout=WAIT)
    qtbot.waitUntil(lambda: app.window.space_label.text() == "· Family", timeout=WAIT)
    assert not page.spaces.activate.isEnabled()  # the selected Space is the active one now
    after = write_note(qtbot, app.session, "Family note")
    stored = app.session.replica.get("notes", "notes", after)
    assert stored is not None and stored.data["spaceId"] == family
    assert stored.data["title"] == "Family note"  # shared Spaces stay plaintext for co-members
    assert app.session.replica.get("notes", "notes", before).data["spaceId"] == personal
    page.show_tab("account")
    page.resize(900, 600)
    image = page.grab().toImage()
    assert not image.isNull()
    image.save(str(artifacts_dir / "spaces-light.png"))


def test_a_failed_switch_is_shown_in_words_and_keeps_the_active_space(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    family = reference_server.add_space("Family", "family", ["alice@example.com"])
    profile = Profile(tmp_path / "p")
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    app = make_app(profile)
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    page = app.window.page("settings")
    qtbot.waitUntil(lambda: len(rows(page)) == 2 and app.session.vault.spaces.active_space_id is not None,
                    timeout=WAIT)  # fmt: skip
    directory = app.session.vault.spaces
    active = directory.active_space_id

    def refuse(_space_id: str) -> Any:
        raise SpacesError("The account server refused (403): not a member", reason="auth")

    directory.set_active = refuse
    page.spaces.select(family)
    page.spaces.activate.click()
    assert not page.spaces.activate.isEnabled()  # busy while the call runs
    qtbot.waitUntil(lambda: not page.spaces.error.isHidden(), timeout=WAIT)
    assert page.spaces.error.text() == "The account server refused (403): not a member"
    assert directory.active_space_id == active and page.spaces.activate.isEnabled()


def test_signed_out_shows_no_spaces(qtbot: Any, tmp_path: Path, make_app: Any) -> None:
    app = make_app(Profile(tmp_path / "fresh"))
    page = app.window.page("settings")
    assert rows(page) == [] and not page.spaces.refresh_button.isEnabled()
    assert app.window.space_label.text() == ""


def test_space_words_are_translated(qapp: Any) -> None:
    try:
        assert i18n.install(qapp, "de") == "de"
        assert type_words("family") == "Familie" and role_words("owner") == "Inhaber"
    finally:
        i18n.install(qapp, "en")
    assert type_words("family") == "Family"

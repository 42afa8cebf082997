<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="de_DE">
<context>
    <name>Activity</name>
    <message>
        <location filename="../../mana_desktop/gui/activity_page.py" line="39" />
        <source>(reverted)</source>
        <translation>(zurückgenommen)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/activity_page.py" line="51" />
        <source>What the AI changed</source>
        <translation>Was die KI geändert hat</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/activity_page.py" line="80" />
        <source>No AI activity yet. When you approve suggestions, the changes show up here.</source>
        <translation>Noch keine KI-Aktivität. Sobald du Vorschläge übernimmst, erscheinen die Änderungen hier.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/activity_page.py" line="99" />
        <location filename="../../mana_desktop/gui/activity_page.py" line="119" />
        <source>Revert</source>
        <translation>Zurücknehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/activity_page.py" line="120" />
        <source>Undo everything this iteration changed?</source>
        <translation>Alles zurücknehmen, was diese Iteration geändert hat?</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../../mana_desktop/gui/app.py" line="156" />
        <source>The new language applies after a restart.</source>
        <translation>Die neue Sprache gilt nach einem Neustart.</translation>
    </message>
</context>
<context>
    <name>Card</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/card_delegate.py" line="137" />
        <source>planned {when} · %n step(s)</source>
        <translation><numerusform>geplant {when} · %n Schritt</numerusform><numerusform>geplant {when} · %n Schritte</numerusform></translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="149" />
        <location filename="../../mana_desktop/gui/card_layout.py" line="213" />
        <source>Reject all  ⇧R</source>
        <translation>Alle ablehnen  ⇧R</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="150" />
        <location filename="../../mana_desktop/gui/card_layout.py" line="212" />
        <source>Approve all  ⇧A</source>
        <translation>Alle übernehmen  ⇧A</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="256" />
        <source>Failed: {error}</source>
        <translation>Fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="259" />
        <source>Decided on another device: {how}</source>
        <translation>Auf einem anderen Gerät entschieden: {how}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="260" />
        <source>done</source>
        <translation>erledigt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="264" />
        <source>This device can't run “{action}”</source>
        <translation>Dieses Gerät kann „{action}“ nicht ausführen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_delegate.py" line="183" />
        <source>⟳ Working…</source>
        <translation>⟳ Läuft…</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_layout.py" line="92" />
        <source>✓ Approve</source>
        <translation>✓ Übernehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_layout.py" line="93" />
        <source>✕ Reject</source>
        <translation>✕ Ablehnen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_layout.py" line="95" />
        <source>↻ Retry</source>
        <translation>↻ Nochmal</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/card_layout.py" line="198" />
        <source>✦ {agent} suggests</source>
        <translation>✦ {agent} schlägt vor</translation>
    </message>
</context>
<context>
    <name>Diagnostics</name>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="87" />
        <source>Sync diagnostics</source>
        <translation>Sync-Diagnose</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="93" />
        <source>Work offline</source>
        <translation>Offline arbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="99" />
        <source>Copy diagnostics</source>
        <translation>Diagnose kopieren</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="113" />
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="114" />
        <source>Outbox</source>
        <translation>Ausgang</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="115" />
        <source>Cursors</source>
        <translation>Cursor</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="116" />
        <source>Quarantined</source>
        <translation>Zurückgewiesen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/diagnostics.py" line="117" />
        <source>Journal</source>
        <translation>Protokoll</translation>
    </message>
</context>
<context>
    <name>Edit</name>
    <message>
        <location filename="../../mana_desktop/gui/edit_dialog.py" line="149" />
        <source>Edit suggestion</source>
        <translation>Vorschlag bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/edit_dialog.py" line="170" />
        <source>Approve with changes</source>
        <translation>Mit Änderungen übernehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/edit_dialog.py" line="191" />
        <source>Restore the suggested value</source>
        <translation>Vorgeschlagenen Wert wiederherstellen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/edit_dialog.py" line="212" />
        <source>en</source>
        <translation>de</translation>
    </message>
</context>
<context>
    <name>FirstRun</name>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="55" />
        <source>Welcome to Mana</source>
        <translation>Willkommen bei Mana</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="58" />
        <source>Sign in to Mana to review your missions' suggestions, or try the demo.</source>
        <translation>Melde dich bei Mana an, um die Vorschläge deiner Missionen zu prüfen, oder probiere die Demo.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="67" />
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="68" />
        <source>E-mail</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="69" />
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="77" />
        <source>Sign in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="78" />
        <source>Try the demo</source>
        <translation>Demo ausprobieren</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="89" />
        <source>Server, e-mail and password are all needed.</source>
        <translation>Server, E-Mail und Passwort werden gebraucht.</translation>
    </message>
<message><source>optional: when sign-in lives elsewhere</source><translation>optional: wenn die Anmeldung woanders liegt</translation></message><message><source>Account server</source><translation>Kontoserver</translation></message></context>
<context>
    <name>Format</name>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="93" />
        <source>today {time}</source>
        <translation>heute {time}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="95" />
        <source>yesterday {time}</source>
        <translation>gestern {time}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="101" />
        <source>low</source>
        <translation>niedrig</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="102" />
        <source>medium</source>
        <translation>mittel</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="103" />
        <source>high</source>
        <translation>hoch</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="104" />
        <source>urgent</source>
        <translation>dringend</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="121" />
        <source>due {day}</source>
        <translation>fällig {day}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="124" />
        <source>New task</source>
        <translation>Neue Aufgabe</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="131" />
        <source>New event</source>
        <translation>Neuer Termin</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="137" />
        <source>New note</source>
        <translation>Neue Notiz</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="142" />
        <source>New place</source>
        <translation>Neuer Ort</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="148" />
        <source>{ml} ml</source>
        <translation>{ml} ml</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="149" />
        <source>Log a drink</source>
        <translation>Getränk eintragen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="154" />
        <source>{kcal} kcal</source>
        <translation>{kcal} kcal</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="155" />
        <source>Log a meal</source>
        <translation>Mahlzeit eintragen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="197" />
        <source>Complete task</source>
        <translation>Aufgabe erledigen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="198" />
        <source>Complete tasks matching</source>
        <translation>Aufgaben erledigen mit</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="199" />
        <source>Rewrite note</source>
        <translation>Notiz neu schreiben</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="200" />
        <source>Add to note</source>
        <translation>An Notiz anhängen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="201" />
        <source>Tag note</source>
        <translation>Notiz taggen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="202" />
        <source>Record a visit</source>
        <translation>Besuch eintragen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="203" />
        <source>Undo the last drink</source>
        <translation>Letztes Getränk zurücknehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="204" />
        <source>Save article</source>
        <translation>Artikel speichern</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="205" />
        <source>Research news</source>
        <translation>Nachrichten recherchieren</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="206" />
        <source>New journal entry</source>
        <translation>Neuer Tagebucheintrag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="207" />
        <source>New habit</source>
        <translation>Neue Gewohnheit</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="208" />
        <source>Log habit</source>
        <translation>Gewohnheit eintragen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="209" />
        <source>New contact</source>
        <translation>Neuer Kontakt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/formatting.py" line="229" />
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
</context>
<context>
    <name>Header</name>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="380" />
        <source>Signed in, but the account server did not start a session this app can renew: you will be asked to sign in again when the access expires.</source>
        <translation>Angemeldet, aber der Kontoserver hat keine Sitzung gestartet, die diese App erneuern kann: Wenn der Zugang abläuft, wirst du erneut um die Anmeldung gebeten.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="380" />
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="35" />
        <source>Diagnostics…</source>
        <translation>Diagnose…</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="37" />
        <source>Sync now</source>
        <translation>Jetzt synchronisieren</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="39" />
        <source>Work offline</source>
        <translation>Offline arbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="44" />
        <source>No sync (demo)</source>
        <translation>Kein Sync (Demo)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="104" />
        <source>The server signed you out (401). Sign in again to keep syncing; your changes wait safely.</source>
        <translation>Der Server hat dich abgemeldet (401). Melde dich erneut an; deine Änderungen warten sicher.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="105" />
        <source>Sign in…</source>
        <translation>Anmelden…</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/header.py" line="108" />
        <source>Sync is paused (402): {message}</source>
        <translation>Sync pausiert (402): {message}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="286" />
        <source>Sign out</source>
        <translation>Abmelden</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="287" />
        <source>Sign out of this account? Unsent changes stay on this computer.</source>
        <translation>Von diesem Konto abmelden? Nicht gesendete Änderungen bleiben auf diesem Computer.</translation>
    </message>
<message><source>Your changes stay on this computer.</source><translation>Deine Änderungen bleiben auf diesem Computer.</translation></message><message><source>Open Mana settings</source><translation>Mana-Einstellungen öffnen</translation></message></context>
<context>
    <name>Help</name>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="23" />
        <source>next / previous card</source>
        <translation>nächste / vorige Karte</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="24" />
        <source>approve</source>
        <translation>übernehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="25" />
        <source>reject (with a reason)</source>
        <translation>ablehnen (mit Grund)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="26" />
        <source>edit, then approve</source>
        <translation>bearbeiten, dann übernehmen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="27" />
        <source>approve / reject the whole iteration</source>
        <translation>ganze Iteration übernehmen / ablehnen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="28" />
        <source>go to inbox / missions / activity</source>
        <translation>gehe zu Eingang / Missionen / Aktivität</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="29" />
        <source>select for a batch decision</source>
        <translation>für eine Sammelentscheidung auswählen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="30" />
        <source>undo the last decision</source>
        <translation>letzte Entscheidung rückgängig machen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="31" />
        <source>this sheet</source>
        <translation>diese Übersicht</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/dialogs.py" line="38" />
        <source>Keyboard shortcuts</source>
        <translation>Tastenkürzel</translation>
    </message>
</context>
<context>
    <name>Inbox</name>
    <message>
        <location filename="../../mana_desktop/gui/inbox_page.py" line="67" />
        <source>All proposals</source>
        <translation>Alle Vorschläge</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/inbox_page.py" line="76" />
        <source>Nothing to review. When a mission plans something, it shows up here.</source>
        <translation>Nichts zu prüfen. Sobald eine Mission etwas plant, erscheint es hier.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/inbox_page.py" line="168" />
        <location filename="../../mana_desktop/gui/inbox_page.py" line="274" />
        <source>%n suggestion(s)</source>
        <translation><numerusform>%n Vorschlag</numerusform><numerusform>%n Vorschläge</numerusform></translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/proposal_model.py" line="155" />
        <source>{mission}: {n} suggestions</source>
        <translation>{mission}: {n} Vorschläge</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/proposal_model.py" line="364" />
        <source>Suggestion from {mission}: {action}. A to approve, R to reject.</source>
        <translation>Vorschlag von {mission}: {action}. A übernimmt, R lehnt ab.</translation>
    </message>
</context>
<context>
    <name>Missions</name>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="34" />
        <source>Sunday</source>
        <translation>Sonntag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="35" />
        <source>Monday</source>
        <translation>Montag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="36" />
        <source>Tuesday</source>
        <translation>Dienstag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="37" />
        <source>Wednesday</source>
        <translation>Mittwoch</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="38" />
        <source>Thursday</source>
        <translation>Donnerstag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="39" />
        <source>Friday</source>
        <translation>Freitag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="40" />
        <source>Saturday</source>
        <translation>Samstag</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="49" />
        <source>Edit mission</source>
        <translation>Mission bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="49" />
        <location filename="../../mana_desktop/gui/missions_page.py" line="99" />
        <source>New mission</source>
        <translation>Neue Mission</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="54" />
        <source>e.g. Weekly goals review</source>
        <translation>z. B. Wöchentlicher Ziele-Review</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="56" />
        <source>What exactly should the AI achieve?</source>
        <translation>Was genau soll die KI erreichen?</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="57" />
        <source>Title</source>
        <translation>Titel</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="58" />
        <location filename="../../mana_desktop/gui/missions_page.py" line="139" />
        <source>Objective</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="63" />
        <source>Concept (Markdown)</source>
        <translation>Konzept (Markdown)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="64" />
        <source>Preview</source>
        <translation>Vorschau</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="79" />
        <location filename="../../mana_desktop/gui/missions_page.py" line="140" />
        <source>Cadence</source>
        <translation>Rhythmus</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="84" />
        <source>Manual</source>
        <translation>Manuell</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="85" />
        <source>Every</source>
        <translation>Alle</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="86" />
        <source>Daily at</source>
        <translation>Täglich um</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="87" />
        <source>Weekly on</source>
        <translation>Wöchentlich am</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/mission_form.py" line="131" />
        <source>A mission needs a title and an objective.</source>
        <translation>Eine Mission braucht einen Titel und ein Ziel.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="41" />
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="42" />
        <source>paused</source>
        <translation>pausiert</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="43" />
        <source>done</source>
        <translation>abgeschlossen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="44" />
        <source>archived</source>
        <translation>archiviert</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="57" />
        <source>next run {when}</source>
        <translation>nächster Lauf {when}</translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/missions_page.py" line="60" />
        <source>%n iteration(s)</source>
        <translation><numerusform>%n Iteration</numerusform><numerusform>%n Iterationen</numerusform></translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="68" />
        <source>No iteration has run yet.</source>
        <translation>Noch keine Iteration gelaufen.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="76" />
        <source>Note</source>
        <translation>Notiz</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="121" />
        <source>Run now</source>
        <translation>Jetzt ausführen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="122" />
        <source>Pause</source>
        <translation>Pausieren</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="123" />
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="124" />
        <source>Complete</source>
        <translation>Abschließen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="125" />
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="126" />
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="141" />
        <source>Next run</source>
        <translation>Nächster Lauf</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="142" />
        <source>Inputs</source>
        <translation>Inputs</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="146" />
        <source>Iterations</source>
        <translation>Iterationen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="152" />
        <source>Feedback for the next iteration…</source>
        <translation>Feedback für die nächste Iteration…</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="153" />
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="207" />
        <source>Choose a mission on the left, or create a new one.</source>
        <translation>Wähle links eine Mission aus, oder erstelle eine neue.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="235" />
        <source>Delete mission</source>
        <translation>Mission löschen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/missions_page.py" line="236" />
        <source>Delete this mission? Its iterations go with it.</source>
        <translation>Diese Mission löschen? Ihre Iterationen gehen mit.</translation>
    </message>
</context>
<context>
    <name>Modules</name>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="41" />
        <source>Todo</source>
        <translation>Aufgaben</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="42" />
        <source>Calendar</source>
        <translation>Kalender</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="43" />
        <source>Notes</source>
        <translation>Notizen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="44" />
        <source>Places</source>
        <translation>Orte</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="45" />
        <source>Drink</source>
        <translation>Trinken</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="46" />
        <source>Food</source>
        <translation>Essen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="47" />
        <source>Journal</source>
        <translation>Tagebuch</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="48" />
        <source>Habits</source>
        <translation>Gewohnheiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="49" />
        <source>Contacts</source>
        <translation>Kontakte</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/modules.py" line="50" />
        <source>News</source>
        <translation>Nachrichten</translation>
    </message>
</context>
<context>
    <name>Records</name>
    <message>
        <location filename="../../mana_desktop/gui/records_panel.py" line="39" />
        <source>🔒 locked</source>
        <translation>🔒 gesperrt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/records_panel.py" line="72" />
        <source>Created by the mission “{mission}”</source>
        <translation>Von der Mission „{mission}“ angelegt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/records_panel.py" line="89" />
        <source>Records</source>
        <translation>Einträge</translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/records_panel.py" line="112" />
        <source>Records (%n)</source>
        <translation><numerusform>Einträge (%n)</numerusform><numerusform>Einträge (%n)</numerusform></translation>
    </message>
<message><source>In a shared space: read-only here</source><translation>In einem geteilten Bereich: hier nur lesbar</translation></message></context>
<context>
    <name>Reject</name>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="27" />
        <source>Wrong time</source>
        <translation>Falscher Zeitpunkt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="28" />
        <source>Wrong content</source>
        <translation>Falscher Inhalt</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="29" />
        <source>Duplicate</source>
        <translation>Gibt es schon</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="30" />
        <source>Not needed</source>
        <translation>Nicht nötig</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="31" />
        <source>Other</source>
        <translation>Anderer Grund</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="50" />
        <source>Why not? (optional, helps the next plan)</source>
        <translation>Warum nicht? (optional, hilft dem nächsten Plan)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="68" />
        <source>Say more (Enter rejects, Esc cancels)</source>
        <translation>Mehr dazu (Enter lehnt ab, Esc bricht ab)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/reject_picker.py" line="71" />
        <source>Reject</source>
        <translation>Ablehnen</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="46" />
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="51" />
        <source>System language</source>
        <translation>Systemsprache</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="55" />
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="58" />
        <source>Undo window</source>
        <translation>Zeit zum Rückgängigmachen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="61" />
        <source>Check the server every</source>
        <translation>Server prüfen alle</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="62" />
        <source>Work offline</source>
        <translation>Offline arbeiten</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="65" />
        <source>not signed in (demo)</source>
        <translation>nicht angemeldet (Demo)</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="68" />
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/settings_page.py" line="70" />
        <source>Sign out</source>
        <translation>Abmelden</translation>
    </message>
<message><source>same as the sync server</source><translation>wie der Sync-Server</translation></message><message><source>Account server (mana-auth)</source><translation>Kontoserver (mana-auth)</translation></message><message><source>Remember the encryption key in the system keyring</source><translation>Verschlüsselungsschlüssel im Schlüsselbund des Systems merken</translation></message><message><source>Unlocks encrypted fields at start without asking the account server. Off: the key is kept in memory only.</source><translation>Entsperrt verschlüsselte Felder beim Start, ohne den Kontoserver zu fragen. Aus: der Schlüssel bleibt nur im Arbeitsspeicher.</translation></message><message><source>Encryption</source><translation>Verschlüsselung</translation></message><message><source>An address starting with https:// (or http://)</source><translation>Eine Adresse, die mit https:// (oder http://) beginnt</translation></message><message><source>General</source><translation>Allgemein</translation></message><message><source>Security</source><translation>Sicherheit</translation></message><message><source>Sign in…</source><translation>Anmelden…</translation></message></context>
<context>
    <name>Sidebar</name>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="30" />
        <source>All</source>
        <translation>Alle</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="31" />
        <source>Missions</source>
        <translation>Missionen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="32" />
        <source>Activity</source>
        <translation>Aktivität</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="33" />
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="70" />
        <source>REVIEW</source>
        <translation>PRÜFEN</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/sidebar.py" line="74" />
        <source>WORKBENCH</source>
        <translation>WERKBANK</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/status_text.py" line="22" />
        <source>%n min</source>
        <translation><numerusform>%n min</numerusform><numerusform>%n min</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/status_text.py" line="23" />
        <source>%n h</source>
        <translation><numerusform>%n h</numerusform><numerusform>%n h</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/status_text.py" line="31" />
        <source> — retrying in %n s</source>
        <translation><numerusform> — neuer Versuch in %n s</numerusform><numerusform> — neuer Versuch in %n s</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/status_text.py" line="38" />
        <source>%n waiting to send</source>
        <translation><numerusform>%n wartet auf Versand</numerusform><numerusform>%n warten auf Versand</numerusform></translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="41" />
        <source>(oldest {age})</source>
        <translation>(älteste {age})</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="52" />
        <source>{count} held until the encryption key is unlocked</source>
        <translation>{count} warten auf den entsperrten Schlüssel</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="52" />
        <source>{count} held until your Spaces have loaded</source>
        <translation>{count} warten, bis deine Spaces geladen sind</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="53" />
        <source>◐ Syncing {percent} %</source>
        <translation>◐ Synchronisiere {percent} %</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="55" />
        <source>◐ Syncing</source>
        <translation>◐ Synchronisiere</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="58" />
        <source>○ Offline</source>
        <translation>○ Offline</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="60" />
        <source>○ Working offline</source>
        <translation>○ Offline-Modus</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="63" />
        <source>⚠ Can't sync: {error}</source>
        <translation>⚠ Sync nicht möglich: {error}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="66" />
        <source>⚠ Signed out</source>
        <translation>⚠ Abgemeldet</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="68" />
        <source>subscription inactive</source>
        <translation>Abo inaktiv</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="69" />
        <source>⏸ Sync paused: {message}</source>
        <translation>⏸ Sync pausiert: {message}</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/status_text.py" line="71" />
        <source>● In sync</source>
        <translation>● Synchron</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/notifier.py" line="76" />
        <source>Mana: %n suggestion(s)</source>
        <translation><numerusform>Mana: %n Vorschlag</numerusform><numerusform>Mana: %n Vorschläge</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/notifier.py" line="89" />
        <source>{mission} suggests %n change(s)</source>
        <translation><numerusform>{mission} schlägt %n Änderung vor</numerusform><numerusform>{mission} schlägt %n Änderungen vor</numerusform></translation>
    </message>
</context>
<context>
    <name>Undo</name>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="36" />
        <source>Approved “{what}”.</source>
        <translation>„{what}“ übernommen.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="38" />
        <source>Rejected “{what}”.</source>
        <translation>„{what}“ abgelehnt.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="40" />
        <source>Ran “{what}” again.</source>
        <translation>„{what}“ erneut ausgeführt.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/main_window.py" line="41" />
        <location filename="../../mana_desktop/gui/main_window.py" line="216" />
        <source>Undone.</source>
        <translation>Rückgängig gemacht.</translation>
    </message>
    <message>
        <location filename="../../mana_desktop/gui/undo_bar.py" line="29" />
        <source>Undo  Ctrl+Z</source>
        <translation>Rückgängig  Strg+Z</translation>
    </message>
</context>
<context><name>Vault</name><message><source>🔒 locked</source><translation>🔒 gesperrt</translation></message><message><source>🔒 can't be decrypted</source><translation>🔒 nicht entschlüsselbar</translation></message><message><source>Your data is protected by your recovery code. Enter it to unlock encrypted fields on this computer.</source><translation>Deine Daten sind mit deinem Wiederherstellungscode geschützt. Gib ihn ein, um verschlüsselte Felder auf diesem Computer zu entsperren.</translation></message><message><source>Enter recovery code…</source><translation>Wiederherstellungscode eingeben…</translation></message><message><source>the account server refused the sign-in</source><translation>der Kontoserver hat die Anmeldung abgelehnt</translation></message><message><source>the account server cannot be reached</source><translation>der Kontoserver ist nicht erreichbar</translation></message><message><source>the account server had a problem</source><translation>der Kontoserver hatte ein Problem</translation></message><message><source>an unexpected error</source><translation>ein unerwarteter Fehler</translation></message><message><source>Encrypted fields stay locked: {why}. Nothing encrypted is written until the key is unlocked.</source><translation>Verschlüsselte Felder bleiben gesperrt: {why}. Nichts Verschlüsseltes wird gespeichert, bis der Schlüssel entsperrt ist.</translation></message><message><source>Retry</source><translation>Erneut versuchen</translation></message><message><source>Recovery code</source><translation>Wiederherstellungscode</translation></message><message><source>Your recovery code (64 characters 0-9 and A-F):</source><translation>Dein Wiederherstellungscode (64 Zeichen 0-9 und A-F):</translation></message></context><context><name>Spaces</name><message><source>Active Space: new records go here</source><translation>Aktiver Bereich: Neue Einträge landen hier</translation></message><message><source>Personal</source><translation>Persönlich</translation></message><message><source>Spaces</source><translation>Bereiche</translation></message><message><source>New records go to the active Space. Records of shared Spaces are read-only on this computer.</source><translation>Neue Einträge landen im aktiven Bereich. Einträge geteilter Bereiche sind auf diesem Computer nur lesbar.</translation></message><message><source>Make active</source><translation>Aktiv setzen</translation></message><message><source>Refresh</source><translation>Aktualisieren</translation></message><message><source>Team</source><translation>Team</translation></message><message><source>Family</source><translation>Familie</translation></message><message><source>Club</source><translation>Verein</translation></message><message><source>Brand</source><translation>Marke</translation></message><message><source>Practice</source><translation>Praxis</translation></message><message><source>Owner</source><translation>Inhaber</translation></message><message><source>Admin</source><translation>Admin</translation></message><message><source>Member</source><translation>Mitglied</translation></message><message><source>Name</source><translation>Name</translation></message><message><source>Type</source><translation>Art</translation></message><message><source>Your role</source><translation>Deine Rolle</translation></message><message><source>{name} (active)</source><translation>{name} (aktiv)</translation></message></context><context><name>Security</name><message><source>With zero-knowledge on, Mana's servers can no longer read your key: only your recovery code unlocks your data, and losing the code loses the data.</source><translation>Mit Zero-Knowledge können die Server von Mana deinen Schlüssel nicht mehr lesen: Nur dein Wiederherstellungscode entsperrt deine Daten, und wer den Code verliert, verliert die Daten.</translation></message><message><source>Your recovery code</source><translation>Dein Wiederherstellungscode</translation></message><message><source>Recovery code</source><translation>Wiederherstellungscode</translation></message><message><source>Copy</source><translation>Kopieren</translation></message><message><source>I have stored this code somewhere safe</source><translation>Ich habe diesen Code sicher aufbewahrt</translation></message><message><source>Done</source><translation>Fertig</translation></message><message><source>Copied</source><translation>Kopiert</translation></message><message><source>Turn on zero-knowledge</source><translation>Zero-Knowledge einschalten</translation></message><message><source>Turn on</source><translation>Einschalten</translation></message><message><source>This code is shown only once. Store it somewhere safe, away from this computer (a password manager or on paper).</source><translation>Dieser Code wird nur einmal angezeigt. Bewahre ihn sicher auf, nicht auf diesem Computer (in einem Passwortmanager oder auf Papier).</translation></message><message><source>Anyone with this code can unlock your encrypted data. If zero-knowledge is on and you lose it, your encrypted data cannot be recovered, not even by Mana.</source><translation>Wer diesen Code hat, kann deine verschlüsselten Daten entsperren. Ist Zero-Knowledge an und du verlierst ihn, lassen sich deine verschlüsselten Daten nicht wiederherstellen, auch nicht von Mana.</translation></message><message><source>Type the recovery code you just stored to confirm you have it:</source><translation>Gib den eben aufbewahrten Wiederherstellungscode ein, um zu bestätigen, dass du ihn hast:</translation></message><message><source>Locked: encrypted fields are hidden and nothing encrypted is written.</source><translation>Gesperrt: Verschlüsselte Felder sind verborgen, und nichts Verschlüsseltes wird gespeichert.</translation></message><message><source>Not signed in: there is no encryption key on this computer.</source><translation>Nicht angemeldet: Auf diesem Computer gibt es keinen Verschlüsselungsschlüssel.</translation></message><message><source>Unlocked: encrypted fields can be read and written on this computer.</source><translation>Entsperrt: Verschlüsselte Felder können auf diesem Computer gelesen und geschrieben werden.</translation></message><message><source>Locked: zero-knowledge is on, enter your recovery code to unlock.</source><translation>Gesperrt: Zero-Knowledge ist an, gib deinen Wiederherstellungscode ein, um zu entsperren.</translation></message><message><source>no vault yet (created at the first unlock)</source><translation>noch kein Tresor (wird beim ersten Entsperren angelegt)</translation></message><message><source>on</source><translation>an</translation></message><message><source>off</source><translation>aus</translation></message><message><source>none</source><translation>keiner</translation></message><message><source>unknown error</source><translation>unbekannter Fehler</translation></message><message><source>created</source><translation>angelegt</translation></message><message><source>Zero-knowledge</source><translation>Zero-Knowledge</translation></message><message><source>Create recovery code…</source><translation>Wiederherstellungscode erstellen…</translation></message><message><source>Turn on zero-knowledge…</source><translation>Zero-Knowledge einschalten…</translation></message><message><source>Turn off zero-knowledge</source><translation>Zero-Knowledge ausschalten</translation></message><message><source>Mana's servers will hold a copy of your key again, so you can unlock without the recovery code. Turn off zero-knowledge?</source><translation>Die Server von Mana bewahren dann wieder eine Kopie deines Schlüssels auf, sodass du ohne Wiederherstellungscode entsperren kannst. Zero-Knowledge ausschalten?</translation></message><message><source>Can't unlock: {why}</source><translation>Entsperren nicht möglich: {why}</translation></message><message><source>created {when}</source><translation>angelegt {when}</translation></message><message><source>Working offline: go online to see or change these settings.</source><translation>Offline-Modus: Geh online, um diese Einstellungen zu sehen oder zu ändern.</translation></message></context></TS>
<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>Card</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/card_delegate.py" line="137" />
        <source>planned {when} · %n step(s)</source>
        <translation><numerusform>planned {when} · %n step</numerusform><numerusform>planned {when} · %n steps</numerusform></translation>
    </message>
</context>
<context>
    <name>Inbox</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/inbox_page.py" line="168" />
        <location filename="../../mana_desktop/gui/inbox_page.py" line="274" />
        <source>%n suggestion(s)</source>
        <translation><numerusform>%n suggestion</numerusform><numerusform>%n suggestions</numerusform></translation>
    </message>
</context>
<context>
    <name>Missions</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/missions_page.py" line="60" />
        <source>%n iteration(s)</source>
        <translation><numerusform>%n iteration</numerusform><numerusform>%n iterations</numerusform></translation>
    </message>
</context>
<context>
    <name>Records</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/records_panel.py" line="112" />
        <source>Records (%n)</source>
        <translation><numerusform>Records (%n)</numerusform><numerusform>Records (%n)</numerusform></translation>
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
        <translation><numerusform> — retrying in %n s</numerusform><numerusform> — retrying in %n s</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/status_text.py" line="38" />
        <source>%n waiting to send</source>
        <translation><numerusform>%n waiting to send</numerusform><numerusform>%n waiting to send</numerusform></translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/notifier.py" line="76" />
        <source>Mana: %n suggestion(s)</source>
        <translation><numerusform>Mana: %n suggestion</numerusform><numerusform>Mana: %n suggestions</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../mana_desktop/gui/notifier.py" line="89" />
        <source>{mission} suggests %n change(s)</source>
        <translation><numerusform>{mission} suggests %n change</numerusform><numerusform>{mission} suggests %n changes</numerusform></translation>
    </message>
</context>
</TS>
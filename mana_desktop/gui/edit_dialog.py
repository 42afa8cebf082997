"""Edit a proposal before approving it: a form generated from the tool's parameter schema.

Each ParamSpec becomes a widget (line edit, spin box, combo box for enums, date or date-time
picker, check box) with a button that restores the original value. Values are validated with
the catalog's `validate` before the dialog accepts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.domain.tools import ParamSpec, get_tool, parse_local_datetime, validate

translate = QCoreApplication.translate


class ParamField:
    """One parameter's widget: read, write and restore its value."""

    def __init__(self, spec: ParamSpec, original: Any) -> None:
        self.spec = spec
        self.original = original
        self.present = original is not None and original != ""
        self.touched = False
        self.widget = self._build()
        self.set_value(original)
        self._watch()

    def _build(self) -> QWidget:
        spec = self.spec
        if spec.enum:
            combo = QComboBox()
            if not spec.required:
                combo.addItem("—", None)
            for value in spec.enum:
                combo.addItem(value, value)
            return combo
        if spec.type == "number":
            spin = QDoubleSpinBox()
            spin.setDecimals(6 if spec.name in ("latitude", "longitude") else 2)
            spin.setRange(spec.minimum if spec.minimum is not None else -1e9,
                          spec.maximum if spec.maximum is not None else 1e9)  # fmt: skip
            return spin
        if spec.type == "boolean":
            return QCheckBox()
        if spec.format == "date":
            date = QDateEdit()
            date.setCalendarPopup(True)
            date.setDisplayFormat("yyyy-MM-dd")
            return date
        if spec.format == "datetime":
            moment = QDateTimeEdit()
            moment.setCalendarPopup(True)
            moment.setDisplayFormat("yyyy-MM-dd HH:mm")
            return moment
        return QLineEdit()

    def _watch(self) -> None:
        """Remember that the user changed the widget (absent optional values stay absent)."""
        w = self.widget
        signal = {
            QComboBox: "currentIndexChanged",
            QDoubleSpinBox: "valueChanged",
            QCheckBox: "toggled",
            QDateEdit: "dateChanged",
            QDateTimeEdit: "dateTimeChanged",
            QLineEdit: "textEdited",
        }
        for cls in (QDateEdit, QDateTimeEdit, QComboBox, QDoubleSpinBox, QCheckBox, QLineEdit):
            if isinstance(w, cls):
                getattr(w, signal[cls]).connect(self._touch)
                return

    def _touch(self, *_: object) -> None:
        self.touched = True

    def restore(self) -> None:
        self.set_value(self.original)
        self.touched = False

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            i = w.findData(value)
            w.setCurrentIndex(max(0, i))
        elif isinstance(w, QDoubleSpinBox):
            try:
                w.setValue(float(value))
            except (TypeError, ValueError):
                w.setValue(0.0)
        elif isinstance(w, QCheckBox):
            w.setChecked(value in (True, "true", "True", 1))
        elif isinstance(w, QDateTimeEdit) and not isinstance(w, QDateEdit):
            parsed = parse_local_datetime(str(value)) if value else None
            if parsed is not None:
                w.setDateTime(QDateTime(QDate(parsed.year, parsed.month, parsed.day),
                                        QTime(parsed.hour, parsed.minute, parsed.second)))  # fmt: skip
            else:
                w.setDateTime(QDateTime.currentDateTime())
        elif isinstance(w, QDateEdit):
            day = QDate.fromString(str(value)[:10], "yyyy-MM-dd") if value else QDate()
            w.setDate(day if day.isValid() else QDate.currentDate())
        elif isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QDoubleSpinBox):
            number = w.value()
            return int(number) if number.is_integer() else number
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QDateEdit):
            return w.date().toString("yyyy-MM-dd")
        if isinstance(w, QDateTimeEdit):
            return w.dateTime().toString("yyyy-MM-ddTHH:mm:ss")
        assert isinstance(w, QLineEdit)
        return w.text()

    def changed(self) -> bool:
        return self.value() != self.original


class EditDialog(QDialog):
    """Shows the tool's parameters; `params()` is the validated result after accept."""

    def __init__(self, tool_name: str, params: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Edit", "Edit suggestion"))
        self.tool = get_tool(tool_name)
        self.original = dict(params)
        self.fields: dict[str, ParamField] = {}
        self._result: dict[str, Any] = dict(params)
        layout = QVBoxLayout(self)
        heading = QLabel(self.tool.description if self.tool else tool_name)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(heading)
        form = QFormLayout()
        for spec in self.tool.params if self.tool else ():
            form.addRow(self._label(spec), self._row(spec, params.get(spec.name)))
        layout.addLayout(form)
        self.errors = QLabel()
        self.errors.setTextFormat(Qt.TextFormat.PlainText)
        self.errors.setWordWrap(True)
        self.errors.setObjectName("errorText")
        self.errors.hide()
        layout.addWidget(self.errors)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.approve_button = buttons.addButton(
            translate("Edit", "Approve with changes"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _label(self, spec: ParamSpec) -> QLabel:
        label = QLabel(spec.name + (" *" if spec.required else ""))
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setToolTip(spec.description)
        return label

    def _row(self, spec: ParamSpec, value: Any) -> QWidget:
        field = ParamField(spec, value)
        self.fields[spec.name] = field
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(field.widget, 1)
        restore = QToolButton()
        restore.setText("↺")
        restore.setToolTip(translate("Edit", "Restore the suggested value"))
        restore.clicked.connect(field.restore)
        box.addWidget(restore)
        return row

    def collect(self) -> dict[str, Any]:
        """The parameters as the user left them (absent optional fields stay absent)."""
        out = dict(self.original)
        for name, field in self.fields.items():
            value = field.value()
            if not field.present and not field.touched and not field.spec.required:
                continue
            if value in ("", None) and not field.spec.required:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def accept(self) -> None:
        params = self.collect()
        if self.tool is not None:
            lang = QCoreApplication.translate("Edit", "en")  # the translation says "de"
            coerced, errors = validate(self.tool, params, lang=lang)
            if errors:
                self.errors.setText("\n".join(errors))
                self.errors.show()
                return
            params = coerced
        self._result = params
        super().accept()

    def params(self) -> dict[str, Any]:
        return self._result

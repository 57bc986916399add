"""What a screen may ask of the running console app, typed without importing it.

``screens.app.RetireApp`` imports every screen, so a screen cannot import it
back; this protocol names the few things screens use (the context and the
ways to open another screen), and ``hall_app`` checks that the app really
offers them before a screen relies on it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from screens.context import AppContext


@runtime_checkable
class HallApp(Protocol):
    """The console app as screens see it (``screens.app.RetireApp`` provides it)."""

    ctx: AppContext

    def open_case(self, case_no: str) -> None: ...

    def open_department(self, case_no: str | None = None) -> None: ...

    def open_delivery(self, case_no: str) -> None: ...

    def open_prereview(self, case_no: str, after: Any = None) -> None: ...


def hall_app(app: object) -> HallApp:
    """``app`` as the console app; a different app (a test harness) cannot open other screens."""
    if not isinstance(app, HallApp):
        raise TypeError(f"{type(app).__name__} is not the retire console app")
    return app

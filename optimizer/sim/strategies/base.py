"""What a maintenance strategy is: the :class:`Policy` protocol the fleet simulator
drives, the :class:`SimView` it acts through, and :class:`BasePolicy`, do-nothing
defaults to subclass.

The simulator calls

* ``prepare(model, twin)`` once per study (in the parent process; the prepared policy is
  pickled to the workers), for everything that does not depend on the replication;
* ``start(sim)`` at the start of every replication (reset per-replication state here);
* ``on_install(sim, i)`` whenever position ``i`` gets a part: the initial parts at the
  start, then after every preventive or corrective replacement (and minimal repair);
* ``on_alarm(sim, i)`` when an alarm set with ``sim.set_alarm(i, age_h)`` goes off (the
  installed part reached that operating age);
* ``decide(sim)`` every ``decision_interval_h`` calendar hours (from ``t = 0``) when that
  attribute is not ``None``.

Policies act through the simulator view (:class:`SimView`): ``request_pm``,
``set_alarm``, ages, and the twin's reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from optimizer._typing import BoolArray, FloatArray, IndexArray, IntArray
from optimizer.sim.model import SimModel
from optimizer.sim.twin import Twin

__all__ = ["BasePolicy", "Policy", "SimView"]


@runtime_checkable
class SimView(Protocol):
    """What a policy may see and do during a replication."""

    model: SimModel
    twin: Twin

    @property
    def now_h(self) -> float:
        """Current time, hours from the plan start."""

    def age_h(self, i: int) -> float:
        """Operating age of component ``i``'s part, hours."""

    def ages_h(self) -> FloatArray:
        """Operating ages of all components, hours."""

    def up_mask(self) -> BoolArray:
        """Components running."""

    def is_up(self, i: int) -> bool:
        """Whether component ``i`` is running."""

    def true_residual_h(self, i: int) -> float:
        """True remaining life (only the twin model may use it)."""

    def twin_z(self, i: int) -> float:
        """The twin's error draw for component ``i``'s part."""

    def twin_report(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """True residual, reported median and spread for every component."""

    def twin_inputs(self, comps: IndexArray) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Running flags, true residuals and twin errors of ``comps`` (for
        :meth:`Twin.report`: equal to :meth:`twin_report` at ``comps`` where running)."""

    def life_index(self, i: int) -> int:
        """Index of the installed life draw (0 = the initial part)."""

    def on_initial_part(self, i: int) -> bool:
        """Whether position ``i`` still holds the part installed at the start."""

    def set_alarm(self, i: int, age_h: float) -> None:
        """Call ``on_alarm`` when component ``i``'s part reaches ``age_h``."""

    def clear_alarm(self, i: int) -> None:
        """Cancel component ``i``'s alarm."""

    def pm_pending(self, i: int) -> bool:
        """Whether a preventive replacement of the installed part is requested."""

    def pm_pending_mask(self) -> BoolArray:
        """:meth:`pm_pending` of all components."""

    def request_pm(self, comps: Sequence[int], at_h: float, *, current_part: bool = True) -> int:
        """Request preventive replacements at ``at_h`` (see the simulator)."""

    def latest_work_start(self, i: int, t_h: float) -> float:
        """Latest instant ``<= t_h`` (not before now) at which ``i``'s crew is on shift."""

    def part_lead_h(self, i: int) -> float:
        """Lead time of ``i``'s spare part when none is on hand (0 otherwise), hours."""

    def parts_lead_h(self, comps: Sequence[int]) -> FloatArray:
        """:meth:`part_lead_h` of several components, hours."""

    def parts_free_units(self, comps: Sequence[int]) -> IntArray:
        """Units of each component's spare part on hand for new reservations (0 while
        earlier demand waits; -1 when the component takes nothing from stock)."""


@runtime_checkable
class Policy(Protocol):
    """A maintenance strategy driven by the simulator (see the module docstring)."""

    name: str
    decision_interval_h: float | None

    def prepare(self, model: SimModel, twin: Twin) -> None:
        """One-off preparation for a model and twin accuracy."""

    def start(self, sim: SimView) -> None:
        """Start of a replication."""

    def on_install(self, sim: SimView, i: int) -> None:
        """Position ``i`` received a part (or was minimally repaired)."""

    def on_alarm(self, sim: SimView, i: int) -> None:
        """An alarm of component ``i`` went off."""

    def decide(self, sim: SimView) -> None:
        """Periodic decision instant."""


class BasePolicy:
    """Do-nothing defaults of the :class:`Policy` protocol (subclass and override)."""

    name = "base"
    decision_interval_h: float | None = None

    def prepare(self, model: SimModel, twin: Twin) -> None:
        self.model = model
        self.twin = twin

    def start(self, sim: SimView) -> None:
        return None

    def on_install(self, sim: SimView, i: int) -> None:
        return None

    def on_alarm(self, sim: SimView, i: int) -> None:
        return None

    def decide(self, sim: SimView) -> None:
        return None

    def params(self) -> dict[str, Any]:
        """Parameters of the strategy (for reports)."""
        return {}

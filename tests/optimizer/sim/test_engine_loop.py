"""The engine's event loop (``_Env``: ``run_to``, ``soon``, ``after``) and light-weight
processes (``_Driver``) against plain SimPy: the same script of timeouts, signals and
processes must execute in exactly the same order (times and ties included)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.sim import engine

# an action: (kind, a, b): ("timeout", delay, child) | ("signal", urgent, child) | ("log", 0, 0)
Action = tuple[str, int, int]


def _run_plain(script: list[list[Action]], until: float) -> list[tuple[float, int]]:
    """Reference: plain SimPy timeouts and triggered events with callbacks."""
    env = simpy.Environment()
    log: list[tuple[float, int]] = []

    def node(k: int) -> Callable[[Any], None]:
        def fire(_ev: Any) -> None:
            log.append((env.now, k))
            for kind, a, child in script[k]:
                if kind == "timeout":
                    ev = env.timeout(a)
                    ev.callbacks.append(node(child))
                elif kind == "signal":
                    ev = env.event()
                    ev.callbacks.append(node(child))
                    if a:  # urgent: as a process's Initialize event
                        ev._ok, ev._value = True, None
                        env.schedule(ev, simpy.events.URGENT)
                    else:
                        ev.succeed()

        return fire

    node(0)(None)
    env.run(until=until)
    return log


def _run_engine(script: list[list[Action]], until: float) -> list[tuple[float, int]]:
    env = engine._Env()
    log: list[tuple[float, int]] = []

    def node(k: int) -> Callable[[], None]:
        def fire() -> None:
            log.append((env.now, k))
            for kind, a, child in script[k]:
                if kind == "timeout":
                    if child % 2:
                        env.after(a, lambda _ev, c=child: node(c)())
                    else:
                        ev = env.timeout(a)
                        ev.callbacks.append(lambda _ev, c=child: node(c)())
                elif kind == "signal":
                    env.soon(node(child), urgent=bool(a))

        return fire

    node(0)()
    env.run_to(until)
    return log


_N = 8


@st.composite
def scripts(draw: Any) -> list[list[Action]]:
    """Acyclic scripts: node ``k`` acts on nodes ``> k`` only (finite runs)."""
    out: list[list[Action]] = []
    for k in range(_N - 1):
        acts = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["timeout", "signal", "log"]),
                    st.integers(0, 2),
                    st.integers(k + 1, _N - 1),
                ),
                max_size=3,
            )
        )
        out.append([(kind, min(a, 1) if kind == "signal" else a, c) for kind, a, c in acts])
    out.append([])
    return out


@settings(max_examples=300, deadline=None)
@given(scripts(), st.sampled_from([3.0, 5.0, 7.5]))
def test_soon_and_after_keep_simpy_order(script: list[list[Action]], until: float) -> None:
    """Ties at equal times and priorities resolve exactly as with SimPy events."""
    assert _run_engine(script, until) == _run_plain(script, until)


def test_soon_order_is_not_trivial() -> None:
    """A hand-made case where a naive 'run the call at once' would differ: a signal
    raised while another event waits at the same instant runs after it; an urgent one
    before it."""
    script: list[list[Action]] = [
        [("timeout", 1, 1), ("timeout", 1, 2)],
        [("signal", 0, 3), ("signal", 1, 4)],
        [],
        [],
        [],
    ]
    ref = _run_plain(script, 5.0)
    assert ref == [(0, 0), (1, 1), (1, 4), (1, 2), (1, 3)]
    assert _run_engine(script, 5.0) == ref


def _proc_plain(
    env: simpy.Environment, log: list[Any], wake: list[simpy.Event]
) -> Generator[Any, Any, None]:
    for k in range(3):
        ev = env.event()
        wake.append(ev)
        yield ev
        log.append(("woken", env.now, k))
        yield env.timeout(1.5)
        log.append(("done", env.now, k))


def _proc_driver(env: engine._Env, log: list[Any]) -> Generator[Any, Any, None]:
    for k in range(3):
        yield None
        log.append(("woken", env.now, k))
        yield env.timeout(1.5)
        log.append(("done", env.now, k))


def test_driver_runs_like_a_process() -> None:
    """A generator waiting for a signal, then a timeout: a SimPy process woken by an
    event versus a driver resumed with ``soon`` (pokes at equal times included)."""
    pokes = (1.0, 4.0, 5.5, 9.0)
    env = simpy.Environment()
    ref: list[Any] = []
    wake: list[simpy.Event] = []
    env.process(_proc_plain(env, ref, wake))

    def poke_plain(_ev: Any) -> None:
        ref.append(("poke", env.now))
        if not wake[-1].triggered:
            wake[-1].succeed()
        ref.append(("after poke", env.now))

    for t in pokes:
        env.timeout(t).callbacks.append(poke_plain)
    env.run(until=20.0)

    env2 = engine._Env()
    got: list[Any] = []
    drv = engine._Driver(_proc_driver(env2, got))
    drv.resume()

    def poke_driver(_ev: Any) -> None:
        got.append(("poke", env2.now))
        if drv.idle:
            env2.soon(drv.resume)
        got.append(("after poke", env2.now))

    for t in pokes:
        env2.after(t, poke_driver)
    env2.run_to(20.0)
    assert got == ref
    # the poke at 5.5 comes before the timeout ending then (created earlier): missed
    woken = [(t, k) for tag, t, *k in got if tag == "woken"]
    assert woken == [(1.0, [0]), (4.0, [1]), (9.0, [2])]


def test_driver_resumed_while_waiting_for_an_event_raises() -> None:
    env = engine._Env()
    drv = engine._Driver(_proc_driver(env, []))
    drv.resume()
    drv.resume()  # woken: now waits for its timeout
    try:
        drv.resume()
    except RuntimeError as exc:
        assert "waits for an event" in str(exc)
    else:
        raise AssertionError("no error")

"""Fuzzing the CMMS importers (as the scenario loader is fuzzed): whatever the bytes of a
register, history or mapping file, the importers either succeed or raise CmmsInputError
naming the file -- never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cmms.assets import import_assets, load_scenario_data
from optimizer.cmms.history import fit_groups, read_history
from optimizer.cmms.mapping import load_mapping, preset_mapping
from optimizer.cmms.tables import CmmsInputError

ROOT = Path(__file__).resolve().parents[3]
CONVEYOR = load_scenario_data(ROOT / "scenarios" / "conveyor.yaml")

CELLS = st.one_of(
    st.sampled_from(
        ["C1-MOT", "C1-GBX", "belt", "drive_motor", "C1", "PLANT-A", "2020-01-01",
         "31.12.2019", "1/2/2021", "-5", "1e400", "nan", "failure", "PM", "", "0001",
         "=1+1", '"', ";", ",", "\n", "\ufeff", "2020-02-30", "12,5"]
    ),
    st.text(max_size=12),
)  # fmt: skip
ASSET_HEADERS = st.lists(
    st.sampled_from(["asset_id", "type", "system", "site", "install_date", "running_h",
                     "position", "x", "asset_id"]),
    min_size=1, max_size=7,
)  # fmt: skip
HISTORY_HEADERS = st.lists(
    st.sampled_from(["asset_id", "type", "removal_date", "install_date", "reason", "hours",
                     "site", "y"]),
    min_size=1, max_size=7,
)  # fmt: skip


def _table(headers: list[str], rows: list[list[str]], sep: str) -> bytes:
    lines = [sep.join(headers)] + [sep.join(r[: len(headers)]) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    headers=ASSET_HEADERS,
    rows=st.lists(st.lists(CELLS, min_size=7, max_size=7), max_size=6),
    sep=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
)
def test_fuzz_asset_register(
    headers: list[str], rows: list[list[str]], sep: str, bom: bool
) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.csv"
        try:
            raw = _table(headers, rows, sep)
        except UnicodeEncodeError:
            return
        p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)
        try:
            import_assets(p, preset_mapping("generic"), CONVEYOR)
        except CmmsInputError as exc:
            assert exc.problems and all(q.file == str(p) for q in exc.problems)


@FUZZ
@given(
    headers=HISTORY_HEADERS,
    rows=st.lists(st.lists(CELLS, min_size=7, max_size=7), max_size=8),
    sep=st.sampled_from([",", ";"]),
)
def test_fuzz_history(headers: list[str], rows: list[list[str]], sep: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "h.csv"
        try:
            p.write_bytes(_table(headers, rows, sep))
        except UnicodeEncodeError:
            return
        try:
            hist = read_history(p, preset_mapping("generic"), asset_types={"C1-MOT": "drive_motor"})
            fit_groups(hist, by="type", family="auto")
        except CmmsInputError as exc:
            assert exc.problems


@FUZZ
@given(raw=st.binary(max_size=300))
def test_fuzz_raw_bytes_and_mapping(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        for name in ("r.csv", "r.xlsx"):
            p = Path(d) / name
            p.write_bytes(raw)
            try:
                import_assets(p, preset_mapping("maximo"), CONVEYOR)
            except CmmsInputError:
                pass
        m = Path(d) / "m.yaml"
        m.write_bytes(raw)
        try:
            load_mapping(m)
        except CmmsInputError:
            pass

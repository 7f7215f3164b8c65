"""Benchmark and cross-check of the SLA engine (B2, B3, B5). Not part of the test suite.

    .venv/bin/python bench/sla_engine.py [--cases 100000] [--reference-sample 400] [--seed 2026]

1. Random (priority, logged-at) cases across 2026–2028 (whole minutes, UTC): both targets of each
   by the scalar engine (response_due), by the vectorised engine (response_due_bulk), and on a
   subsample by the minute-stepping reference (opsdesk/calendars/tests/reference.py).
2. Against pandas CustomBusinessHour(start="09:00", end="17:00", holidays=bank holidays). Pandas
   works on naive timestamps and knows nothing of the B3 fallback rule, so only what its
   semantics share with ours is compared: adding N whole business hours (N = 1, 4 and 8: the P3
   initial, P3 considered and P4 amounts) to every logged-at instant that falls inside business
   hours, as naive Europe/London wall time (business hours are wall-clock hours, so DST does not
   matter once the start is inside them). One known difference is counted, not failed: when the
   sum lands exactly on a closing time, the engine answers the closing (17:00, the B3 rule) and
   pandas the next opening; those agree when pandas' answer equals the engine's next opening
   after its own.
3. The cost of adding 10 working days against adding 15 minutes (B2: it must not grow with the
   interval), and the vectorised throughput in targets per second.

Prints a summary table; exits non-zero if anything disagrees.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time as clock
import warnings
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

# bench/ holds queue.py, named like the standard library's queue module: keep this folder at the
# end of the path so `import queue` (pandas may import it) finds the standard library first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opsdesk.calendars import engine  # noqa: E402
from opsdesk.calendars.tests import reference  # noqa: E402

UK = engine.uk_calendar()
H24 = engine.always_open_calendar()

# B3: priority -> [(calendar, rule) for the initial response, ... for the considered response].
RULES = {
    "P1": [(H24, {"hours": 0.25}), (H24, {"hours": 1})],
    "P2": [(H24, {"hours": 1}), (H24, {"hours": 2})],
    "P3": [(UK, {"hours": 1, "fallback": time(10)}), (UK, {"hours": 4, "fallback": time(12)})],
    "P4": [(UK, {"business_days": 1}), (UK, {"business_days": 1})],
}
PRIORITIES = list(RULES)
PANDAS_HOURS = (1, 4, 8)

START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2029, 1, 1, tzinfo=UTC).timestamp())


def timed(fn, *args):
    began = clock.perf_counter()
    result = fn(*args)
    return result, clock.perf_counter() - began


def best_of(repeats, fn, *args):
    """The fastest of a few runs (for the short, noisy measurements)."""
    runs = [timed(fn, *args) for _ in range(repeats)]
    return runs[0][0], min(seconds for _, seconds in runs)


def make_cases(n: int, rng: np.random.Generator):
    priorities = rng.integers(0, len(PRIORITIES), n)
    logged = (rng.integers(START, END, n) // 60) * 60
    return priorities, logged


def scalar_targets(priorities, logged):
    out = []
    for p, t in zip(priorities.tolist(), logged.tolist(), strict=True):
        at = datetime.fromtimestamp(t, UTC)
        rules = RULES[PRIORITIES[p]]
        out.append(tuple(int(engine.response_due(cal, at, **rule).timestamp()) for cal, rule in rules))
    return out


def bulk_targets(priorities, logged):
    initial = np.empty_like(logged)
    considered = np.empty_like(logged)
    for index, name in enumerate(PRIORITIES):
        mask = priorities == index
        (cal_i, rule_i), (cal_c, rule_c) = RULES[name]
        initial[mask] = engine.response_due_bulk(cal_i, logged[mask], **rule_i)
        considered[mask] = engine.response_due_bulk(cal_c, logged[mask], **rule_c)
    return list(zip(initial.tolist(), considered.tolist(), strict=True))


def reference_targets(priorities, logged):
    out = []
    for p, t in zip(priorities.tolist(), logged.tolist(), strict=True):
        at = datetime.fromtimestamp(t, UTC)
        rules = RULES[PRIORITIES[p]]
        out.append(tuple(int(reference.response_due(cal, at, **rule).timestamp()) for cal, rule in rules))
    return out


def pandas_check(logged_in_hours: list[datetime]):
    """Agreement and cost per addition, both libraries on their own native scalars and then both on
    aware datetimes in and out. Returns (agree, closing-landing cases, disagreements, timings), the
    timings in seconds per addition:

    - "pandas": Timestamp + CustomBusinessHour on naive London wall times (its native form);
    - "epoch": the engine's native form, integer epoch seconds (add_business_seconds);
    - "pandas aware": a UTC Timestamp in, converted to London wall time, added, localised back
      (what pandas must do to answer for an instant, DST included);
    - "datetime": the engine's datetime API, a UTC datetime in, a London datetime out;
    - "bulk": the NumPy path, per addition.
    """
    import pandas as pd

    holidays = sorted(UK.closed_dates)
    offsets = {n: pd.offsets.CustomBusinessHour(n=n, start="09:00", end="17:00", holidays=holidays)
               for n in PANDAS_HOURS}
    deltas = {n: timedelta(hours=n) for n in PANDAS_HOURS}
    naive = [pd.Timestamp(t.astimezone(UK.zone).replace(tzinfo=None)) for t in logged_in_hours]
    pandas_cases = [(naive[i], offsets[n]) for n in PANDAS_HOURS for i in range(len(naive))]
    engine_cases = [(logged_in_hours[i], deltas[n]) for n in PANDAS_HOURS for i in range(len(naive))]
    cases = [(n, i) for n in PANDAS_HOURS for i in range(len(naive))]

    def run_pandas():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [t + offset for t, offset in pandas_cases]

    def run_engine():
        add = UK.add_business_time
        return [add(t, delta) for t, delta in engine_cases]

    starts = np.array([int(logged_in_hours[i].timestamp()) for _, i in cases], dtype=np.int64)
    amounts = np.array([n * 3600 for n, _ in cases], dtype=np.int64)
    epoch_cases = list(zip(starts.tolist(), amounts.tolist(), strict=True))

    def run_epoch():
        add = UK.add_business_seconds
        return [add(t, d) for t, d in epoch_cases]

    zone = UK.zone
    aware_cases = [(pd.Timestamp(logged_in_hours[i]), offsets[n]) for n, i in cases[:: len(PANDAS_HOURS) * 4]]

    def run_pandas_aware():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [(t.tz_convert(zone).tz_localize(None) + offset).tz_localize(zone)
                    for t, offset in aware_cases]

    pandas_results, pandas_seconds = timed(run_pandas)
    aware_results, aware_seconds = timed(run_pandas_aware)
    engine_results, engine_seconds = best_of(3, run_engine)
    epoch_results, epoch_seconds = best_of(3, run_epoch)
    bulk_results, bulk_seconds = best_of(3, engine.add_business_seconds_bulk, UK, starts, amounts)

    agree = closing = 0
    problems = []
    results = zip(cases, engine_results, pandas_results, bulk_results.tolist(), epoch_results, strict=True)
    for (n, i), ours, theirs, bulk, epoch in results:
        ours_wall = ours.replace(tzinfo=None)
        if bulk != int(ours.timestamp()) or epoch != bulk:
            problems.append(f"bulk / epoch / datetime paths differ for {logged_in_hours[i]} + {n} h")
        if ours_wall == theirs.to_pydatetime():
            agree += 1
        elif not UK.is_open(ours) and UK.next_opening(ours).replace(tzinfo=None) == theirs.to_pydatetime():
            closing += 1
        else:
            problems.append(f"{logged_in_hours[i]} + {n} h: engine {ours}, pandas {theirs}")
    for (t, offset), theirs in zip(aware_cases, aware_results, strict=True):
        ours = UK.add_business_time(t.to_pydatetime(), timedelta(hours=offset.n))
        if theirs.to_pydatetime() not in (ours, UK.next_opening(ours)):
            problems.append(f"pandas aware {t} + {offset.n} h: engine {ours}, pandas {theirs}")
    count = len(cases)
    timings = {
        "pandas": pandas_seconds / count,
        "epoch": epoch_seconds / count,
        "pandas aware": aware_seconds / len(aware_cases),
        "datetime": engine_seconds / count,
        "bulk": bulk_seconds / count,
    }
    return agree, closing, problems, timings


def interval_cost(instants: list[datetime]):
    """Per-operation cost of adding 15 minutes, 80 business hours and 10 working days (scalar)."""
    quarter = timedelta(minutes=15)
    eighty = timedelta(hours=80)

    def add_quarter():
        for t in instants:
            UK.add_business_time(t, quarter)

    def add_eighty():
        for t in instants:
            UK.add_business_time(t, eighty)

    def add_days():
        for t in instants:
            UK.add_business_days(t, 10)

    per_op = {}
    for name, fn in (("15 min", add_quarter), ("80 h", add_eighty), ("10 days", add_days)):
        runs = [timed(fn)[1] for _ in range(5)]
        per_op[name] = statistics.median(runs) / len(instants)
    return per_op


def bulk_throughput(rng: np.random.Generator, n: int = 1_000_000):
    starts = rng.integers(START, END, n)
    seconds = rng.integers(0, 3 * 8 * 3600, n)
    engine.add_business_seconds_bulk(UK, starts[:10], seconds[:10])  # build the span table first
    _, add_seconds = best_of(3, engine.add_business_seconds_bulk, UK, starts, seconds)
    _, due_seconds = best_of(3, lambda: engine.response_due_bulk(UK, starts, hours=4, fallback=time(12)))
    _, days_seconds = best_of(3, engine.add_business_days_bulk, UK, starts, 10)
    return n / add_seconds, n / due_seconds, n / days_seconds


def working_days_bulk_vs_scalar(logged: np.ndarray):
    """B7 recomputation (RCA due dates): add_business_days_bulk against the scalar engine row by
    row (what the recomputation did before): disagreements, and seconds per row for each."""
    bulk, bulk_seconds = best_of(3, engine.add_business_days_bulk, UK, logged, 10)

    def row_by_row():
        days = UK.add_business_days
        return [int(days(datetime.fromtimestamp(int(v), UTC), 10).timestamp()) for v in logged]

    scalar, scalar_seconds = timed(row_by_row)
    mismatch = sum(a != b for a, b in zip(bulk.tolist(), scalar, strict=True))
    return mismatch, bulk_seconds / len(logged), scalar_seconds / len(logged)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--reference-sample", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    failures: list[str] = []

    # Warm the span tables so that no measurement pays for building them.
    for cal in (UK, H24):
        engine.response_due(cal, datetime(2026, 6, 1, tzinfo=UTC), hours=1)
        engine.response_due_bulk(cal, np.array([START, END]), hours=1)

    priorities, logged = make_cases(args.cases, rng)
    print(f"{args.cases:,} cases logged 2026-01-01..2028-12-31, priorities P1-P4 uniform, seed {args.seed}")

    scalar, scalar_seconds = timed(scalar_targets, priorities, logged)
    bulk, bulk_seconds = best_of(3, bulk_targets, priorities, logged)
    targets = 2 * args.cases
    bulk_mismatch = sum(a != b for a, b in zip(scalar, bulk, strict=True))
    if bulk_mismatch:
        failures.append(f"bulk response_due disagrees with scalar on {bulk_mismatch} cases")
    print(f"engine scalar: {scalar_seconds:.2f} s for {targets:,} targets "
          f"({scalar_seconds / targets * 1e6:.2f} µs each)")
    print(f"engine bulk:   {bulk_seconds:.3f} s for {targets:,} targets "
          f"({bulk_seconds / targets * 1e9:.0f} ns each), {bulk_mismatch} disagreements with scalar")

    sample = rng.choice(args.cases, size=min(args.reference_sample, args.cases), replace=False)
    ref, ref_seconds = timed(reference_targets, priorities[sample], logged[sample])
    ref_mismatch = [
        (PRIORITIES[priorities[i]], datetime.fromtimestamp(int(logged[i]), UTC), scalar[i], r)
        for i, r in zip(sample.tolist(), ref, strict=True)
        if scalar[i] != r
    ]
    for case in ref_mismatch[:10]:
        failures.append(f"reference disagrees: {case}")
    ref_per_target = ref_seconds / (2 * len(sample))
    print(f"reference:     {len(sample)} cases, {ref_per_target * 1e3:.2f} ms per target, "
          f"{len(ref_mismatch)} disagreements")

    in_hours = [t for t in (datetime.fromtimestamp(s, UTC) for s in logged.tolist()) if UK.is_open(t)]
    agree, closing, problems, per_op = pandas_check(in_hours)
    failures.extend(problems[:10])
    compared = len(in_hours) * len(PANDAS_HOURS)
    print(f"pandas:        {compared:,} additions (+1/+4/+8 business hours from the {len(in_hours):,} "
          f"in-hours cases): {agree:,} equal, {closing:,} equal after pandas' roll past a closing, "
          f"{len(problems)} differ")
    print(f"               native scalars: pandas Timestamp {per_op['pandas'] * 1e6:.1f} µs, engine epoch "
          f"seconds {per_op['epoch'] * 1e6:.2f} µs; aware datetimes in and out: pandas "
          f"{per_op['pandas aware'] * 1e6:.1f} µs, engine {per_op['datetime'] * 1e6:.2f} µs; "
          f"engine bulk {per_op['bulk'] * 1e9:.0f} ns per addition")

    cost = interval_cost([datetime.fromtimestamp(t, UTC) for t in logged[:20_000].tolist()])
    ratio_days = cost["10 days"] / cost["15 min"]
    ratio_hours = cost["80 h"] / cost["15 min"]
    print(f"interval cost: add 15 min {cost['15 min'] * 1e6:.2f} µs, 80 business hours "
          f"{cost['80 h'] * 1e6:.2f} µs, 10 working days {cost['10 days'] * 1e6:.2f} µs")

    add_rate, due_rate, days_rate = bulk_throughput(rng)
    print(f"bulk:          add_business_seconds_bulk {add_rate:,.0f} targets/s, "
          f"response_due_bulk {due_rate:,.0f} targets/s, add_business_days_bulk (10 working days) "
          f"{days_rate:,.0f} targets/s (1,000,000 random cases)")
    days_mismatch, days_bulk, days_scalar = working_days_bulk_vs_scalar(logged)
    print(f"working days:  {len(logged):,} cases + 10 working days, bulk {days_bulk * 1e9:.0f} ns vs row by "
          f"row {days_scalar * 1e6:.2f} µs each ({days_scalar / days_bulk:,.0f}×), "
          f"{days_mismatch} disagreements")
    if days_mismatch:
        failures.append(f"add_business_days_bulk disagrees with the scalar engine on {days_mismatch} cases")

    vs_pandas_scalar = per_op["pandas"] / per_op["epoch"]
    vs_pandas_aware = per_op["pandas aware"] / per_op["datetime"]
    vs_pandas_bulk = per_op["pandas"] / per_op["bulk"]
    vs_reference = ref_per_target / (scalar_seconds / targets)
    disagreements = f"{bulk_mismatch} / {len(ref_mismatch)} / {len(problems)}"
    rows = [
        ("engine scalar vs pandas, native scalars (× per addition)", f"{vs_pandas_scalar:.0f}×", "≥ 100×",
         vs_pandas_scalar >= 100),
        ("engine vs pandas, aware datetimes in and out (×)", f"{vs_pandas_aware:.0f}×", "—", True),
        ("engine bulk vs pandas (× faster per addition)", f"{vs_pandas_bulk:,.0f}×", "≥ 100×",
         vs_pandas_bulk >= 100),
        ("engine scalar vs reference (× faster per target)", f"{vs_reference:,.0f}×", "—", True),
        ("cost of 10 working days / 15 min", f"{ratio_days:.2f}×", "≤ 1.5×", ratio_days <= 1.5),
        ("cost of 80 business hours / 15 min", f"{ratio_hours:.2f}×", "≤ 1.5×", ratio_hours <= 1.5),
        ("bulk add (targets/s)", f"{add_rate:,.0f}", "≥ 1,000,000", add_rate >= 1_000_000),
        ("bulk response targets (targets/s)", f"{due_rate:,.0f}", "≥ 1,000,000", due_rate >= 1_000_000),
        ("bulk working-day targets (targets/s)", f"{days_rate:,.0f}", "≥ 1,000,000", days_rate >= 1_000_000),
        ("disagreements bulk / reference / pandas", disagreements, "0 / 0 / 0",
         not (bulk_mismatch or ref_mismatch or problems)),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'result':>14}  {'goal':>12}  met")
    print("-" * (width + 36))
    for name, value, goal, met in rows:
        print(f"{name:<{width}}  {value:>14}  {goal:>12}  {'yes' if met else 'NO'}")
    if failures:
        print("\nDISAGREEMENTS:")
        for line in failures:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

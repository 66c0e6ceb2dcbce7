"""What holds for the whole test run (tests/, plugins/ and the example's plugins)."""

from hypothesis import settings

# Speed is measured by the benchmarks, not asserted by tests: no property-based test has a
# deadline per example (Hypothesis' default of 200 ms failed tests on a loaded machine).
settings.register_profile("hrdd", deadline=None)
settings.load_profile("hrdd")

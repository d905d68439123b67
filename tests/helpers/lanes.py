"""The fast lane (``pytest -m "not slow"``) leaves out every test marked slow: one that takes more
than about 5 s on 2 CPU cores. ``slow_cases`` marks only the slow cases of a parametrized test."""
import pytest


def slow_cases(cases, slow, several_arguments: bool = False) -> list:
    """``cases`` for ``pytest.mark.parametrize``, each one in ``slow`` marked slow (same test ids);
    with ``several_arguments`` each case is a tuple of the arguments of several parameter names."""
    unknown = [value for value in slow if value not in cases]
    if unknown:
        raise ValueError(f"slow_cases: {unknown} are not among the cases {cases}; fix the slow list")

    def case(value):
        if value not in slow:
            return value
        return pytest.param(*(value if several_arguments else (value,)), marks=pytest.mark.slow)
    return [case(value) for value in cases]

"""The verification pipeline: an ordered list of named checks that apps contribute.

A check looks at a placed order and says pass, backorder, or hold (with a structured
reason). Checks with `external=False` run inside the verifying transaction with the
order row locked (data rules, stock allocation). Checks with `external=True` (a
payment gateway) run after that transaction commits, with no lock held, and the
outcome is then applied in a second short transaction.
"""

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from enum import Enum

from orders.enums import HoldReason


class Outcome(str, Enum):
    PASS = "pass"
    BACKORDER = "backorder"
    HOLD = "hold"


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    reason: str = ""
    message: str = ""
    data: dict = field(default_factory=dict)

    @classmethod
    def passed(cls, message: str = "", **data) -> "CheckResult":
        return cls(Outcome.PASS, message=message, data=data)

    @classmethod
    def backorder(cls, message: str, **data) -> "CheckResult":
        return cls(Outcome.BACKORDER, message=message, data=data)

    @classmethod
    def hold(cls, reason: HoldReason, message: str, **data) -> "CheckResult":
        return cls(Outcome.HOLD, reason=reason, message=message, data=data)


CheckFunction = Callable[..., CheckResult]


@dataclass(frozen=True)
class VerificationCheck:
    name: str
    label: str
    position: int
    run: CheckFunction
    external: bool = False
    # Which orders the check concerns (None: all). An external check that concerns none of an
    # order's needs is left out, and the order is verified in one transaction.
    applies: Callable[..., bool] | None = None

    def applies_to(self, order) -> bool:
        return self.applies is None or self.applies(order)


# Hold reasons a manager may approve on release, so that re-verification lets the order through.
OVERRIDABLE_REASONS = frozenset({HoldReason.CREDIT_LIMIT, HoldReason.HIGH_FRAUD_RISK, HoldReason.CUSTOMER_ON_HOLD})

_checks: dict[str, VerificationCheck] = {}


def register_check(*, name: str, label: str, position: int, external: bool = False,
                   applies: Callable[..., bool] | None = None):
    """Decorator: `fn(order, *, actor) -> CheckResult` joins the pipeline at `position`."""

    def decorator(fn: CheckFunction) -> CheckFunction:
        _checks[name] = VerificationCheck(name=name, label=label, position=position, run=fn, external=external,
                                          applies=applies)
        return fn

    return decorator


def unregister_check(name: str) -> None:
    _checks.pop(name, None)


def pipeline(*, external: bool | None = None) -> list[VerificationCheck]:
    checks = sorted(_checks.values(), key=lambda c: (c.position, c.name))
    if external is None:
        return checks
    return [c for c in checks if c.external == external]


@dataclass
class PipelineRun:
    results: list[tuple[VerificationCheck, CheckResult]] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)

    @property
    def hold(self) -> CheckResult | None:
        return next((r for _, r in self.results if r.outcome == Outcome.HOLD), None)

    @property
    def hold_check(self) -> VerificationCheck | None:
        return next((c for c, r in self.results if r.outcome == Outcome.HOLD), None)

    @property
    def backordered(self) -> bool:
        return any(r.outcome == Outcome.BACKORDER for _, r in self.results)

    def summary(self) -> list[dict]:
        return [
            {"check": c.name, "outcome": r.outcome.value, "reason": r.reason, "message": r.message}
            for c, r in self.results
        ]


def run_pipeline(order, *, actor, checks: list[VerificationCheck], overrides: Container[str],
                 run: PipelineRun) -> PipelineRun:
    """Run `checks` in order, stopping at the first hold that no override approves."""
    for check in checks:
        result = check.run(order, actor=actor)
        if result.outcome == Outcome.HOLD and result.reason in overrides:
            run.overridden.append(result.reason)
            result = CheckResult.passed(f"Approved by override: {result.message}")
        run.results.append((check, result))
        if result.outcome == Outcome.HOLD:
            break
    return run

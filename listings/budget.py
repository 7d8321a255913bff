"""What every eBay call of one refresh run shares: the daily call budget, a back-off, a circuit
breaker and the run's deadline.

The budget is counted in the database (one row per UTC day), so every process and every worker
thread draws from the same number: a call is reserved with one conditional UPDATE before it is
sent, which is atomic on SQLite and PostgreSQL, so concurrent workers never both take the last call.

The gate is thread-safe: a refresh's fetch workers share one. A 429 from eBay pauses every worker
until its Retry-After has passed (the whole run slows down, not one worker), and after
EBAY_BREAKER_THRESHOLD consecutive failed calls (429, 5xx, unreachable) the breaker opens and no
worker calls eBay again in this run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from listings.ebay import BudgetExhausted, CallsStopped, EbayError
from listings.models import ApiUsage

# SQLite takes one writer at a time and, in the test suite's shared in-memory database, refuses
# a second one instead of waiting: every write of a refresh run in this process takes this lock.
_sqlite_writes = threading.RLock()


class CircuitOpen(CallsStopped):
    """eBay failed too many calls in a row; this run stops calling it."""


class RunDeadlinePassed(CallsStopped):
    """The refresh run's wall-clock deadline has passed; no new call is started."""


@contextmanager
def serialised_writes() -> Iterator[None]:
    """Hold the process's write lock on SQLite (one writer at a time anyway); no-op elsewhere."""
    if connection.vendor != "sqlite":
        yield
        return
    with _sqlite_writes:
        yield


def reserve_api_call(*, budget: int | None = None) -> None:
    """Count one Browse API call against today's (UTC) budget, or raise BudgetExhausted."""
    budget = settings.EBAY_DAILY_CALL_BUDGET if budget is None else budget
    day = timezone.now().date()  # USE_TZ: now() is UTC
    with serialised_writes():
        today = ApiUsage.objects.filter(day=day, calls__lt=budget)
        if today.update(calls=F("calls") + 1):
            return
        if budget > 0:
            # The day's row may not exist yet, or another worker may be creating it right now:
            # try to create it, and if that loses the race, count on the row the winner made.
            try:
                with transaction.atomic():
                    ApiUsage.objects.create(day=day, calls=1)
                return
            except IntegrityError:
                if today.update(calls=F("calls") + 1):
                    return
    raise BudgetExhausted(f"eBay daily call budget of {budget} is spent for {day} (UTC)")


def calls_today() -> int:
    """Browse API calls counted so far today (UTC)."""
    usage = ApiUsage.objects.filter(day=timezone.now().date()).first()
    return usage.calls if usage else 0


class CallGate:
    """Admits each Browse API call of a run: waits out a shared back-off, then checks the breaker,
    the run deadline and the daily budget (reserving one call)."""

    def __init__(
        self,
        *,
        budget: int | None = None,
        run_deadline: float | None = None,
        breaker_threshold: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.budget = budget
        self.run_deadline = run_deadline  # on the clock's scale (time.monotonic)
        self.breaker_threshold = (
            settings.EBAY_BREAKER_THRESHOLD if breaker_threshold is None else breaker_threshold
        )
        self.sleep = sleep
        self.clock = clock
        self.stopped: CallsStopped | None = None
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._failures_in_a_row = 0
        self._local = threading.local()

    def admit(self, *, deadline: float | None = None, budgeted: bool = True) -> None:
        """Wait for any shared back-off, then reserve one call (unless not `budgeted`: an OAuth
        token request); raises CallsStopped or EbayError."""
        self._wait_out_back_off(deadline=deadline)
        with self._lock:
            deadline = self.run_deadline
            if self.stopped is None and deadline is not None and self.clock() >= deadline:
                self.stopped = RunDeadlinePassed("the run's deadline passed")
            if self.stopped is not None:
                raise self.stopped
        if not budgeted:
            return
        try:
            reserve_api_call(budget=self.budget)
        except BudgetExhausted as exc:
            with self._lock:
                self.stopped = self.stopped or exc
            raise

    def record(self, *, failed: bool) -> None:
        """Note how a call ended: enough failures in a row open the breaker for every worker."""
        with self._lock:
            self._failures_in_a_row = self._failures_in_a_row + 1 if failed else 0
            if (
                failed
                and self.stopped is None
                and self._failures_in_a_row >= self.breaker_threshold
            ):
                self.stopped = CircuitOpen(
                    f"eBay failed {self._failures_in_a_row} calls in a row: circuit breaker open"
                )

    def stop(self, reason: CallsStopped) -> None:
        """Refuse every further call of this run (the first reason given is kept)."""
        with self._lock:
            self.stopped = self.stopped or reason

    def back_off(self, seconds: float) -> None:
        """Pause every worker for seconds (this one sleeps now, others before their next call)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)
            self._local.slept_until = self._paused_until
        self.sleep(seconds)

    def _wait_out_back_off(self, *, deadline: float | None) -> None:
        with self._lock:
            paused_until = self._paused_until
        if paused_until <= getattr(self._local, "slept_until", 0.0):
            return  # this worker already slept through the pause it asked for
        wait = paused_until - self.clock()
        if wait <= 0:
            return
        if deadline is not None and self.clock() + wait > deadline:
            raise EbayError(f"eBay asked to back off {wait:.0f} s, past this card's deadline")
        self._local.slept_until = paused_until
        self.sleep(wait)

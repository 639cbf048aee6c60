"""Rate limit and retries around one request function.

geopy's public :class:`~geopy.extra.rate_limiter.RateLimiter` keeps the requests at least
``min_delay_seconds`` apart (start to start). Around it, this module's own small layer:

- counts the delay from the *end* of one request to the start of the next, so the server, too,
  never sees two requests closer than that;
- retries a transient error (5xx, 429, time-out, dropped connection, malformed answer) up to
  ``max_retries`` times after ``error_wait_seconds * 2**attempt`` seconds (at most
  ``max_error_wait``), or after a 429's Retry-After when that is longer; a Retry-After beyond
  ``max_retry_after`` ends the retries at once. A refusal (403, bad query, quota, a refused answer)
  is not retried. Each retry is logged with ``logger.warning``.

``clock`` and ``sleep`` are public attributes, so tests can replace them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter

from geo.geocoding.transport import RefusedAnswer

logger = logging.getLogger(__name__)

# Errors not worth trying again: a refused query, key, quota or answer will be refused again.
_NOT_RETRIED = (
    GeocoderQueryError,
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderQuotaExceeded,
    RefusedAnswer,
)


def retryable(error: BaseException) -> bool:
    if isinstance(error, GeocoderRateLimited):
        return True
    return isinstance(error, GeocoderServiceError) and not isinstance(error, _NOT_RETRIED)


def describe_error(error: BaseException) -> str:
    """One short line for a geopy error (its messages can hold a whole HTML page)."""
    if isinstance(error, GeocoderRateLimited):
        after = f", Retry-After {error.retry_after:g} s" if error.retry_after is not None else ""
        return f"HTTP 429 Too Many Requests{after}"
    if isinstance(error, GeocoderTimedOut):
        return "timed out"
    if isinstance(error, GeocoderParseError):
        return "the answer is not valid Nominatim JSON"
    if isinstance(error, RefusedAnswer):
        return f"invalid answer: {error}"
    if isinstance(error, GeocoderUnavailable):
        text = str(error)
        if "RemoteDisconnected" in text or "without response" in text:
            return "the connection was closed without an answer"
        if "refused" in text.lower():
            return "connection refused"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = text.replace("Non-successful status code", "HTTP")
    return text if len(text) <= 160 else text[:159] + "…"


class RetryingLimiter:
    """``limiter(*args)`` calls ``func(*args)`` spaced, retried and backed off (see the module)."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        min_delay_seconds: float = 1.0,
        max_retries: int = 3,
        error_wait_seconds: float = 2.0,
        max_error_wait: float = 60.0,
        max_retry_after: float = 120.0,
    ):
        self.func = func
        self.min_delay_seconds = min_delay_seconds
        self.max_retries = max_retries
        self.error_wait_seconds = max(error_wait_seconds, min_delay_seconds)
        self.max_error_wait = max_error_wait
        self.max_retry_after = max_retry_after
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep
        self._last_end: float | None = None
        # geopy's limiter spaces the requests; the retries are ours (max_retries=0 there).
        self._spaced = RateLimiter(
            self._call,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            error_wait_seconds=min_delay_seconds,
            swallow_exceptions=False,
        )

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def retry_wait(self, attempt: int, error: BaseException) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; None when not to retry."""
        if attempt >= self.max_retries or not retryable(error):
            return None
        wait = min(self.error_wait_seconds * 2**attempt, self.max_error_wait)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                logger.warning(
                    "the service asks to wait %g s (Retry-After) before retrying; more than %g s, giving up",
                    retry_after,
                    self.max_retry_after,
                )
                return None
            wait = max(wait, float(retry_after))
        return wait

    def _once(self, *args: Any, **kwargs: Any) -> Any:
        if self._last_end is not None:
            wait = self._last_end + self.min_delay_seconds - self.clock()
            if wait > 0:
                self.sleep(wait)
        try:
            return self._spaced(*args, **kwargs)
        finally:
            self._last_end = self.clock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            try:
                return self._once(*args, **kwargs)
            except GeopyError as error:
                wait = self.retry_wait(attempt, error)
                if wait is None:
                    raise
                attempt += 1
                what = repr(args[0]) if args else "the request"
                logger.warning(
                    "%s for %s; retry %d/%d in %.2f s",
                    describe_error(error),
                    what,
                    attempt,
                    self.max_retries,
                    wait,
                )
                self.sleep(wait)

"""What the card and terminal resolvers share: a background thread that keeps asking another
party about what still waits on it, soon when something new waits, less and less often while
the same things keep waiting (the party down), and a cheap check when nothing does."""

from __future__ import annotations

import logging

from appliance.app.services.background import BackgroundLoop

log = logging.getLogger(__name__)


class Resolver(BackgroundLoop):
    """A round every `first` seconds while something waits, backing off to `longest` while
    the same things keep waiting, a look every `idle` seconds when nothing does. A subclass
    says what waits (`waiting`) and settles what it can (`run_once`)."""

    name = "resolver"

    def __init__(self, *, first: float, longest: float, idle: float) -> None:
        super().__init__()
        self.first, self.longest, self.idle = first, longest, idle

    def waiting(self) -> frozenset[str]:
        """The keys of what still waits on the other party (cheap: the store only)."""
        raise NotImplementedError

    def run_once(self) -> bool:
        """One round; True when something is still waiting after it."""
        raise NotImplementedError

    def _loop(self) -> None:
        delay, backoff, seen = self.first, self.first, frozenset[str]()
        while not self._stop.wait(delay):
            try:
                waiting = self.waiting()
                if not waiting:
                    delay, backoff, seen = self.idle, self.first, waiting
                    continue
                if not waiting <= seen:
                    backoff = self.first  # something new waits: ask soon
                still = self.run_once()
                seen = self.waiting() if still else frozenset()
                delay = backoff if still else self.idle
                backoff = min(backoff * 2, self.longest)
            except Exception:
                log.exception("the %s's round failed; it tries again", self.name)
                delay = backoff = min(backoff * 2, self.longest)

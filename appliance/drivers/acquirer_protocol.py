"""Constants of the acquirer protocol (docs/acquirer-protocol.md) shared by the client
(`appliance.drivers.payment`) and the simulated acquirer, in a module light enough for the
command line to import."""

from __future__ import annotations

# The in-flight window: the acquirer processes an authorisation only if it receives it within
# this many seconds of its `sent_at`, and never after. So a look-up that answers "not found"
# settles an attempt as "nothing was charged" only when it was asked more than this long
# after the attempt's last send; a younger "not found" may be a request still on its way.
IN_FLIGHT_WINDOW_SECONDS = 60.0

# How `sent_at` is written: UTC with microseconds, as the store writes its times.
SENT_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

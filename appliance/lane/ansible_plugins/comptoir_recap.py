"""The recap of a run as one line of JSON on stdout: ok/changed/failed and the names of the
tasks that changed or failed. Debian 12's ansible-core has no `json` callback (it went to the
ansible.posix collection), so the box carries this one; ansible-core 2.14 to 2.19 load it."""

from __future__ import annotations

import json
from typing import Any

from ansible.plugins.callback import CallbackBase  # type: ignore[import-untyped]

MARKER = "comptoir_recap"


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "comptoir_recap"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changed: list[str] = []
        self.failed: list[str] = []

    @staticmethod
    def _name(result: Any) -> str:
        return str(result._task.get_name())

    def v2_runner_on_ok(self, result: Any) -> None:
        name = self._name(result)
        if result._result.get("changed") and name not in self.changed:
            self.changed.append(name)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        if not ignore_errors:
            message = str(result._result.get("msg") or result._result.get("stderr") or "")[:300]
            self.failed.append(f"{self._name(result)}: {message}".rstrip(": "))

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self.failed.append(f"{self._name(result)}: unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        totals = {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0}
        for host in sorted(stats.processed):
            said = stats.summarize(host)
            for key, theirs in (("ok", "ok"), ("changed", "changed"), ("failed", "failures")):
                totals[key] += int(said.get(theirs, 0))
            totals["unreachable"] += int(said.get("unreachable", 0))
            totals["skipped"] += int(said.get("skipped", 0))
        recap = {MARKER: 1, **totals, "changed_tasks": self.changed, "failed_tasks": self.failed}
        self._display.display(json.dumps(recap))

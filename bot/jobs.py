"""The button that does the job for each kind of duty, shared by the due list and reminders."""

from __future__ import annotations

from typing import Any


def job_for(kind: str, subject: str) -> tuple[str, dict[str, Any]] | None:
    """The title and card data of the button that gets this duty done, if there is one."""
    target: Any = int(subject) if kind == "agreement_sign" and subject.isdigit() else subject
    jobs: dict[str, tuple[str, dict[str, Any]]] = {
        "case_discussion": (
            f"Discuss case {subject}",
            {"action": "open.form", "form": "case_discussion", "case": target},
        ),
        "agreement": ("Open the agreement", {"action": "open.form", "form": "agreement"}),
        "agreement_sign": ("Read the agreement", {"action": "agreement.read", "id": target}),
        "personal_supervision": ("Write up a session", {"action": "open.form", "form": "personal_record"}),
        "sign_off": ("Read and sign", {"action": "record.read", "session": target}),
        "recording": ("Mark as recorded", {"action": "case.recorded", "session": target}),
    }
    return jobs.get(kind)

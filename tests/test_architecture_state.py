"""One place per state machine: an inquiry's phase and a practice's status change only in
their owner module, and only circles/services/audit.py builds audit rows.

Other state fields (CheckIn.status and .phase, FlowRun.status, Broadcast.status,
Meeting.status, Outbox.state) are other machines and are not checked here; the names of
the variables tell them apart (``checkin.phase`` is a check-in's, ``run.status`` a run's).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "bot", "circles", "circles_cli", "scheduler")
#: field → (the model it belongs to, the only module that may assign it).
OWNERS = {
    "phase": ("Inquiry", "circles/services/inquiries.py"),
    "status": ("Practice", "circles/services/practices.py"),
}
AUDIT_OWNER = "circles/services/audit.py"
#: The doors (flows, routes, the dashboard, jobs) ask a service; they never audit themselves.
DOORS = ("api", "bot", "scheduler", "circles_cli")


def _name(node: ast.expr) -> str:
    """The dotted name an attribute hangs on, lower-case (``ctx.practice`` → ``ctx.practice``)."""
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr.lower()}"
    return ""


def _is_owned(field: str, owner_object: str) -> bool:
    """Whether ``<owner_object>.<field> = …`` sets the inquiry's phase or the practice's status."""
    last = owner_object.rsplit(".", 1)[-1]
    if field == "phase":  # Inquiry and CheckIn have a phase; a check-in's copies its inquiry's
        return "checkin" not in last and "check_in" not in last
    return "practice" in last  # status: only a variable named for a practice is one


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        found: list[ast.expr] = []
        for target in node.targets:
            found.extend(target.elts if isinstance(target, ast.Tuple) else [target])
        return found
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    return []


def _updated_model(call: ast.Call) -> str | None:
    """``update(Practice)….values(…)`` → ``Practice``."""
    node: ast.expr = call.func
    while isinstance(node, ast.Attribute | ast.Call):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "update"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            return node.args[0].id
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def violations(source: str, module: str) -> list[str]:
    """Every place in ``source`` that changes a guarded state or builds an audit row."""
    found = []
    for node in ast.walk(ast.parse(source, module)):
        where = f"{module}:{getattr(node, 'lineno', 0)}"
        for target in _targets(node):
            if isinstance(target, ast.Attribute) and target.attr in OWNERS:
                model, owner = OWNERS[target.attr]
                if module != owner and _is_owned(target.attr, _name(target.value)):
                    found.append(f"{where} assigns {model}.{target.attr}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in OWNERS
            and module != OWNERS[node.args[1].value][1]
            and _is_owned(node.args[1].value, _name(node.args[0]))
        ):
            found.append(f"{where} setattr {node.args[1].value}")
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called == "AuditLog" and module != AUDIT_OWNER:
            found.append(f"{where} builds an AuditLog row")
        if called == "values":
            model = _updated_model(node)
            for field, (owner_model, owner) in OWNERS.items():
                if model == owner_model and module != owner:
                    if any(k.arg == field for k in node.keywords):
                        found.append(f"{where} updates {model}.{field} in SQL")
    return found


def _door_audits(source: str, module: str) -> list[str]:
    """A flow, route or job that imports the generic audit writer writes audit rows itself."""
    found = []
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.ImportFrom) and node.module == "circles.services.audit":
            found += [
                f"{module}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name == "record_audit"
            ]
    return found


def _modules(packages: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text())
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def test_inquiry_phase_and_practice_status_change_only_through_their_transitions() -> None:
    found = [v for module, source in _modules(PACKAGES) for v in violations(source, module)]
    assert not found, found


def test_no_flow_route_or_job_writes_an_audit_row_itself() -> None:
    found = [v for module, source in _modules(DOORS) for v in _door_audits(source, module)]
    assert not found, found


@pytest.mark.parametrize(
    "line",
    [
        "inquiry.phase = Phase.codify",
        "current.phase = Phase.pilot",
        "practice.status = PracticeStatus.published",
        "row.practice.status = PracticeStatus.archived",
        "setattr(practice, 'status', PracticeStatus.draft)",
        "session.add(AuditLog(actor='x', action='y'))",
        "update(Practice).where(Practice.id == 1).values(status=PracticeStatus.archived)",
        "update(Inquiry).values(phase=Phase.done)",
    ],
)
def test_the_checker_finds_a_state_change_outside_its_owner(line: str) -> None:
    assert violations(line, "bot/flows/example.py")


@pytest.mark.parametrize(
    "line",
    [
        "checkin.inquiry_id, checkin.phase = inquiry.id, inquiry.phase",
        "checkin.status = CheckInStatus.answered",
        "run.status = FlowStatus.waiting",
        "broadcast.status = BroadcastStatus.cancelled",
        "meeting.status = MeetingStatus.cancelled",
        "update(Outbox).values(state=OutboxState.failed)",
        "update(FlowRun).values(status=FlowStatus.expired)",
        "Inquiry(person_id=1, circle_id=2, phase=Phase.identify)",
    ],
)
def test_the_checker_leaves_the_other_state_machines_alone(line: str) -> None:
    assert violations(line, "bot/flows/example.py") == []


def test_the_owners_may_change_their_own_state() -> None:
    assert violations("inquiry.phase = Phase.done", OWNERS["phase"][1]) == []
    assert violations("practice.status = PracticeStatus.archived", OWNERS["status"][1]) == []
    assert violations("AuditLog(actor='x', action='y')", AUDIT_OWNER) == []

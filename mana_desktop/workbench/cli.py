"""`mana-desktop inbox ...`, `missions ...` and `policy ...`: the workbench from a terminal.

Every command works offline against the profile's replica: decisions land in the outbox with
their undo hold, and the sync engine (the app, or `mana-desktop sync`) pushes them later.
Before reading, each command runs one staging pass, so iterations that synced in since the
app last ran show up here too. Exit status: 0 done, 1 refused (the reason on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from mana_desktop.domain.proposal import PROPOSAL_STATUSES
from mana_desktop.domain.terminal import safe_print

if TYPE_CHECKING:
    from mana_desktop.domain.proposal import ProposalView
    from mana_desktop.workbench.service import Workbench


# Everything this module prints goes through here: server text is data, so terminal control
# characters in it are shown escaped, never sent to the terminal.
print = safe_print


def register(subparsers: Any) -> None:
    from mana_desktop.cli import add_data_dir_option

    _register_inbox(subparsers, add_data_dir_option)
    _register_missions(subparsers, add_data_dir_option)
    policy = subparsers.add_parser(
        "policy", help="show or set what the AI may do per tool (auto|propose|deny)"
    )
    policy.add_argument("tool", nargs="?", help="a tool name (omit to list all)")
    policy.add_argument(
        "value", nargs="?", choices=("auto", "propose", "deny", "default"), help="the new policy"
    )
    policy.add_argument("--json", action="store_true", help="machine-readable output")
    add_data_dir_option(policy)
    policy.set_defaults(handler=run_policy)


def _register_inbox(subparsers: Any, add_data_dir: Any) -> None:
    inbox = subparsers.add_parser("inbox", help="review AI proposals: list, approve, reject, undo")
    sub = inbox.add_subparsers(dest="inbox_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list proposals (newest first)")
    listing.add_argument("--module", help="only this module (todo, calendar, ...)")
    listing.add_argument("--mission", help="only this mission id")
    listing.add_argument(
        "--status", choices=PROPOSAL_STATUSES, help="only proposals with this status"
    )
    listing.add_argument("--json", action="store_true", help="one JSON array")
    approve = sub.add_parser("approve", help="approve one proposal (optionally edited)")
    approve.add_argument("id", help="proposal id (a unique prefix is enough)")
    approve.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="change a parameter first"
    )
    reject = sub.add_parser("reject", help="reject one proposal")
    reject.add_argument("id")
    reject.add_argument(
        "--reason", help="wrong-time, wrong-content, duplicate, not-needed or other"
    )
    reject.add_argument("--feedback", help="free text the next plan reads")
    approve_it = sub.add_parser("approve-iteration", help="approve every open step of an iteration")
    approve_it.add_argument("id", help="iteration id")
    reject_it = sub.add_parser("reject-iteration", help="reject every open step of an iteration")
    reject_it.add_argument("id", help="iteration id")
    reject_it.add_argument("--reason")
    reject_it.add_argument("--feedback")
    sub.add_parser("undo", help="undo the last decision (within the undo window)")
    revert = sub.add_parser("revert", help="revert what an approved iteration did")
    revert.add_argument("id", help="iteration id")
    revert.add_argument("--mission", help="mission id (found from the iteration when omitted)")
    for parser in sub.choices.values():
        add_data_dir(parser)
    inbox.set_defaults(handler=run_inbox)


def _register_missions(subparsers: Any, add_data_dir: Any) -> None:
    missions = subparsers.add_parser("missions", help="create and manage AI missions")
    sub = missions.add_subparsers(dest="missions_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list missions")
    listing.add_argument("--all", action="store_true", help="include deleted missions")
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="a mission with its iterations and steps")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    create = sub.add_parser("create", help="create a mission")
    create.add_argument("--title", required=True)
    create.add_argument("--objective", required=True)
    create.add_argument("--concept", default="", help="concept (Markdown)")
    create.add_argument(
        "--cadence",
        default="manual",
        help="manual | interval:MINUTES | daily:HH:MM | weekly:DAY:HH (0=Sunday) | cron:EXPR",
    )
    edit = sub.add_parser("edit", help="change a mission")
    edit.add_argument("id")
    edit.add_argument("--title")
    edit.add_argument("--objective")
    edit.add_argument("--concept")
    edit.add_argument("--cadence")
    for action in ("pause", "resume", "complete", "delete", "run-now"):
        one = sub.add_parser(action, help=f"{action.replace('-', ' ')} a mission")
        one.add_argument("id")
    feedback = sub.add_parser(
        "feedback", help="add feedback to an iteration (the next plan reads it)"
    )
    feedback.add_argument("id", help="mission id")
    feedback.add_argument("iteration", help="iteration id")
    feedback.add_argument("text")
    for parser in sub.choices.values():
        add_data_dir(parser)
    missions.set_defaults(handler=run_missions)


# --- shared -----------------------------------------------------------------------------------


class UsageError(Exception):
    pass


def _open(args: argparse.Namespace) -> tuple[Any, Any, Workbench]:
    from mana_desktop.store.profile import Profile
    from mana_desktop.workbench.service import Workbench

    profile = Profile.from_args(args)
    settings = profile.load_settings()
    replica = profile.open_replica()
    workbench = Workbench(replica, settings)
    cipher = _account_cipher(profile, settings)
    if cipher is not None:  # a signed-in account: decrypt to show, seal what is written
        replica.set_cipher(cipher)
        workbench.set_cipher(cipher)
    return profile, replica, workbench


def _account_cipher(profile: Any, settings: Any) -> Any:
    """The account's RecordCipher (sync.account.AccountSession), unlocking the vault and
    loading the Spaces on first use (one try per command; while working offline only the
    opt-in keyring copy of the key, no request: without it encrypted values show as locked
    and writes that need the key are refused). None when no account is signed in."""
    if not (settings.server_url and settings.account_email and settings.user_id):
        return None
    from mana_desktop.sync.account import AccountSession
    from mana_desktop.sync.credentials import Credentials

    session = AccountSession.open(profile, settings, Credentials(profile))
    if session is None:
        return None
    return session.on_demand_cipher(offline=bool(settings.work_offline))


def _guard(args: argparse.Namespace, action: Any) -> int:
    from mana_desktop.store.settings import SettingsError
    from mana_desktop.workbench.context import DecisionError

    try:
        return int(action(args))
    except DecisionError as exc:
        print(f"mana-desktop: {exc}", file=sys.stderr)
        return 1
    except (UsageError, SettingsError) as exc:
        print(f"mana-desktop: {exc}", file=sys.stderr)
        return 2


def _resolve(wb: Workbench, text: str) -> str:
    from mana_desktop.workbench.context import DecisionError

    if wb.proposal(text) is not None:
        return text
    matches = [p.id for p in wb.proposals() if p.id.startswith(text)]
    if len(matches) == 1 and len(text) >= 4:
        return matches[0]
    if len(matches) > 1:
        raise DecisionError(f"{text!r} matches {len(matches)} proposals; give more of the id.")
    raise DecisionError(f"No proposal with id {text!r}.")


def _print_decision(verb: str, decision: Any) -> None:
    count = len(decision.proposal_ids)
    print(
        f"{verb} {count} proposal{'s' if count != 1 else ''} (undo with `mana-desktop inbox undo` for a few seconds)"
    )
    for pid, error in (decision.errors or {}).items():
        print(f"not approved {pid}: {error}", file=sys.stderr)


# --- inbox ------------------------------------------------------------------------------------


def run_inbox(args: argparse.Namespace) -> int:
    return _guard(args, _inbox)


def _inbox(args: argparse.Namespace) -> int:
    _, replica, wb = _open(args)
    with replica:
        wb.stage()
        command = args.inbox_command
        if command == "list":
            return _inbox_list(wb, args)
        if command == "approve":
            params = _parse_sets(args.set)
            _print_decision("approved", wb.approve(_resolve(wb, args.id), params or None))
        elif command == "reject":
            _print_decision(
                "rejected", wb.reject(_resolve(wb, args.id), args.reason, args.feedback)
            )
        elif command == "approve-iteration":
            _print_decision("approved", wb.approve_iteration(args.id))
        elif command == "reject-iteration":
            _print_decision("rejected", wb.reject_iteration(args.id, args.reason, args.feedback))
        elif command == "undo":
            decision = wb.undo()
            print(f"undone: {len(decision.proposal_ids)} proposal(s) are open again")
        elif command == "revert":
            mission = args.mission or _mission_of_iteration(wb, args.id)
            decision = wb.revert_iteration(mission, args.id)
            print(f"reverted iteration {args.id} ({len(decision.proposal_ids)} step(s))")
        return 0


def _mission_of_iteration(wb: Workbench, iteration_id: str) -> str:
    from mana_desktop.workbench.context import DecisionError

    for p in wb.proposals():
        if p.iteration_id == iteration_id:
            return p.mission_id
    for m in wb.missions():
        if m.iteration(iteration_id) is not None:
            return m.id
    raise DecisionError(f"No iteration {iteration_id!r} is known here; pass --mission.")


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set needs KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def _inbox_list(wb: Workbench, args: argparse.Namespace) -> int:
    views = wb.proposals(module=args.module, mission_id=args.mission, status=args.status)
    if args.json:
        print(json.dumps([v.to_json() for v in views], ensure_ascii=False, indent=2))
        return 0
    if not views:
        print("no proposals")
        return 0
    for v in views:
        print(_line(v))
    return 0


def _line(v: ProposalView) -> str:
    from mana_desktop.domain.tools import describe_params

    head = f"{v.id}  {v.status:<11} {v.module:<10} {v.tool_name or 'note'}"
    lines = [head, f"    {describe_params(v.params)}".rstrip()]
    lines.append(f"    why: {v.rationale}")
    lines.append(
        f"    mission: {v.mission_title} ({v.mission_id}) iteration {v.iteration_id} step {v.step_id}"
    )
    lines.append(f"    by {v.agent_name} at {v.created_at}")
    if v.error:
        lines.append(f"    error: {v.error}")
    if v.reason or v.feedback:
        from mana_desktop.domain.proposal import reason_words

        because = " — ".join(t for t in (reason_words(v.reason), v.feedback or "") if t)
        lines.append(f"    {v.status}: {because}")
    if v.decided_elsewhere:
        lines.append(f"    decided elsewhere: {v.decided_elsewhere}")
    return "\n".join(line for line in lines if line.strip())


# --- missions ---------------------------------------------------------------------------------


def run_missions(args: argparse.Namespace) -> int:
    return _guard(args, _missions)


def _missions(args: argparse.Namespace) -> int:
    _, replica, wb = _open(args)
    with replica:
        command = args.missions_command
        if command == "list":
            views = wb.missions(include_deleted=args.all)
            if args.json:
                print(json.dumps([v.to_json() for v in views], ensure_ascii=False, indent=2))
            for v in [] if args.json else views:
                print(f"{v.id}  {v.state:<8} {v.cadence_text:<24} pending {v.pending:<3} {v.title}")
            if not views and not args.json:
                print("no missions")
            return 0
        if command == "show":
            return _show(wb, args)
        if command == "create":
            mission_id = wb.create_mission(
                args.title, args.objective, args.concept, parse_cadence(args.cadence)
            )
            print(mission_id)
            return 0
        if command == "edit":
            changes = {
                "title": args.title,
                "objective": args.objective,
                "concept_markdown": args.concept,
            }
            if args.cadence:
                changes["cadence"] = parse_cadence(args.cadence)  # type: ignore[assignment]
            wb.edit_mission(args.id, **{k: v for k, v in changes.items() if v is not None})
        elif command == "feedback":
            wb.add_feedback(args.id, args.iteration, args.text)
        else:
            getattr(wb, command.replace("-", "_"))(args.id)
        print(f"{command}: done")
        return 0


def _show(wb: Workbench, args: argparse.Namespace) -> int:
    from mana_desktop.workbench.context import DecisionError

    view = wb.mission(args.id)
    if view is None:
        raise DecisionError(f"No mission with id {args.id!r}.")
    if args.json:
        out = view.to_json()
        out["iterations"] = [
            {"id": it.id, "startedAt": it.started_at, "overallStatus": it.overall_status, "source": it.source,
             "summary": it.summary, "userFeedback": it.user_feedback,
             "plan": [{"id": s.id, "status": s.status, "kind": s.kind, "toolName": s.tool_name,
                       "params": s.params, "summary": s.summary, "proposalId": s.proposal_id} for s in it.plan]}
            for it in view.iterations
        ]  # fmt: skip
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{view.title}  ({view.id})\n  state: {view.state}, {view.cadence_text}, next run: {view.next_run_at or '-'}"
    )
    print(f"  objective: {view.objective}")
    for it in view.iterations:
        print(f"  iteration {it.id}  {it.overall_status}  {it.started_at}  {it.summary}")
        for s in it.plan:
            print(f"    [{s.status}] {s.tool_name or 'note'}: {s.summary}")
        if it.user_feedback:
            print("    feedback: " + it.user_feedback.replace("\n", "\n    "))
    return 0


def parse_cadence(text: str) -> dict[str, Any]:
    """`manual`, `interval:30`, `daily:09:30`, `weekly:1:9`, `cron:0 9 * * 1` -> cadence JSON."""
    kind, _, rest = text.strip().partition(":")
    try:
        if kind == "manual":
            return {"kind": "manual"}
        if kind == "interval":
            return {"kind": "interval", "everyMinutes": float(rest) if "." in rest else int(rest)}
        if kind == "daily":
            hour, _, minute = rest.partition(":")
            return {"kind": "daily", "atHour": int(hour), "atMinute": int(minute or 0)}
        if kind == "weekly":
            day, _, hour = rest.partition(":")
            return {"kind": "weekly", "dayOfWeek": int(day), "atHour": int(hour or 0)}
        if kind == "cron" and rest.strip():
            return {"kind": "cron", "expression": rest.strip()}
    except ValueError:
        pass
    raise UsageError(
        f"bad cadence {text!r}: use manual, interval:MINUTES, daily:HH:MM, weekly:DAY:HH or cron:EXPR"
    )


# --- policy -----------------------------------------------------------------------------------


def run_policy(args: argparse.Namespace) -> int:
    return _guard(args, _policy)


def _policy(args: argparse.Namespace) -> int:
    from mana_desktop.domain.tools import TOOLS
    from mana_desktop.store.profile import Profile

    profile = Profile.from_args(args)
    settings = profile.load_settings()
    overrides = dict(settings.tool_policies)
    if args.tool and args.tool not in TOOLS and args.tool not in overrides:
        raise UsageError(f"unknown tool {args.tool!r}; see `mana-desktop policy` for the list")
    if args.value:
        if args.value == "default":
            overrides.pop(args.tool, None)
        else:
            overrides[args.tool] = args.value
        settings.tool_policies = overrides
        profile.save_settings(settings)
    rows = []
    for name in [args.tool] if args.tool else sorted(TOOLS, key=lambda n: (TOOLS[n].module, n)):
        spec = TOOLS.get(name)
        default = spec.default_policy if spec else "propose"
        rows.append({"tool": name, "module": spec.module if spec else "?", "policy": overrides.get(name, default),
                     "default": default, "changed": name in overrides})  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        mark = " (changed)" if r["changed"] else ""
        print(f"{r['module']:<14} {r['tool']:<24} {r['policy']}{mark}")
    return 0

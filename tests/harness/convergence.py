"""The convergence harness: several client processes, the mission runner, faults and SIGKILLs.

`run(config, workdir) -> RunResult`:

1. Start the reference server on 127.0.0.1:0 and attach the mission runner (ticked by the
   harness at random moments). Give every client its own profile and its own `FaultProxy`,
   and sign each one in through the `mana-desktop login` command.
2. Create a few interval missions on the first client and sync them up.
3. Until `config.kills` kill points are reached, every client runs lives one after another: a
   `tests.harness.driver` process that edits, decides and syncs at random. Before each life
   the client's proxy draws its weather (online, offline, or one random fault rule); once the
   driver reports `ready`, it is SIGKILLed after a random delay (a kill point), unless it
   finished first.
4. Quiesce: runner stopped, proxies cleared, each client drains (sync until nothing is
   pending) in rounds until a round changes nothing on the server.
5. Checks (`checks.py`): every replica equals the server's merged state, no logged edit or
   decision is lost, every step's record is unique, AI-stamped and executed once per device.
6. Memory (`memory.py`): the parent's RSS at 10 evenly spaced kill counts and the peaks of the
   parent and its children; with `max_rss_growth_mb`, growth from kill point N/2 to N past
   the bound is a violation (a leak per round).

Everything random comes from `config.seed`; timing (when a kill lands) is the only noise.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness import checks
from tests.harness.faultproxy import FaultProxy, Rule
from tests.harness.memory import MemoryWatch

ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "alice@example.com", "alice-password"
READY_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 120.0


@dataclass
class Config:
    clients: int = 3
    kills: int = 200
    seed: int = 1
    missions: int = 2
    max_kill_delay_s: float = 0.5  # a kill lands uniformly in [0, this] after `ready`
    rounds_per_life: int = 40
    offline_rate: float = 0.2
    fault_rate: float = 0.4
    runner_every_s: float = 0.4
    # Iterations pile up in two mission records that every life stages; past this many the
    # runner stops planning so long runs stay linear (decisions continue on what is open).
    max_iterations: int = 300
    progress: bool = False
    # Parent RSS (after malloc_trim) may rise at most this much from round N/2 to round N of
    # the kill phase; None: measure and report only. See docs/faults.md for the figures.
    max_rss_growth_mb: float | None = None
    rss_rounds: int = 10


@dataclass
class RunResult:
    counts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    memory: MemoryWatch | None = None

    @property
    def ok(self) -> bool:
        return not self.violations and not self.crashes

    def report(self) -> str:
        lines = [f"convergence run: {'OK' if self.ok else 'FAILED'} in {self.elapsed_s:.1f} s"]
        lines += [f"  {k:<22} {v}" for k, v in sorted(self.counts.items())]
        lines.append("  proxy: " + ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items())))
        if self.memory is not None:
            lines += memory_report(self.memory)
        lines += [f"  CRASH {c}" for c in self.crashes[:10]]
        lines += [f"  VIOLATION {v}" for v in self.violations[:30]]
        if len(self.violations) > 30:
            lines.append(f"  ... {len(self.violations) - 30} more violations")
        return "\n".join(lines)


def _mb(kb: int | None) -> str:
    return "?" if kb is None else f"{kb / 1024:.0f} MB"


def memory_report(watch: MemoryWatch) -> list[str]:
    kinds = ", ".join(f"{k} {_mb(v)}" for k, v in sorted(watch.child_peaks_kb.items()))
    phases = ", ".join(f"{k} {_mb(v)}" for k, v in watch.phase_peaks_kb.items())
    lines = [f"  peak RSS: parent {_mb(watch.parent_peak_kb)} (by the end of: {phases}), "
             f"largest child {_mb(watch.child_peak_kb)} ({kinds})"]
    halves = watch.halves()
    if halves is not None:
        mid, end = halves
        lines.append(f"  parent RSS after {mid.kills} kills {_mb(mid.rss_kb)}, after {end.kills} "
                     f"{_mb(end.rss_kb)} (growth {_mb(end.rss_kb - mid.rss_kb)}; "
                     f"SQLite {_mb(mid.sqlite_kb)} -> {_mb(end.sqlite_kb)})")
    return lines


def rss_growth_violation(watch: MemoryWatch, bound_mb: float) -> str | None:
    """A violation when parent RSS rose more than `bound_mb` from round N/2 to round N."""
    halves = watch.halves()
    if halves is None:
        return None
    mid, end = halves
    growth_mb = (end.rss_kb - mid.rss_kb) / 1024
    if growth_mb <= bound_mb:
        return None
    return (f"memory: the harness parent grew {growth_mb:.0f} MB between {mid.kills} and "
            f"{end.kills} kill points (bound {bound_mb:.0f} MB): a leak per round")


def _fault_rule(rng: random.Random) -> Rule:
    kind = rng.choice(["status", "status-after", "429", "reset", "drop", "truncate", "latency",
                       "stall"])
    if kind == "status":
        return Rule("status", status=rng.choice([500, 502, 503]), probability=0.5)
    if kind == "status-after":
        return Rule("status", status=502, phase="after", probability=0.5, method="POST")
    if kind == "429":
        return Rule("429", retry_after=rng.choice([0, 1]), probability=0.5)
    if kind == "truncate":
        return Rule("truncate", truncate_at=rng.randrange(1, 400), probability=0.5)
    if kind == "latency":
        return Rule("latency", delay_s=rng.uniform(0.01, 0.1))
    if kind == "stall":
        return Rule("stall", delay_s=rng.uniform(0.05, 0.3), probability=0.3)
    return Rule(kind, probability=0.5)  # type: ignore[arg-type]


class Zygote:
    """The harness side of `driver --zygote`: spawn a forked life, wait for it, kill it."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=_env(), cwd=ROOT)
        self._buffer = b""
        self._seen: dict[str, dict[int, int]] = {"pid": {}, "ready": {}, "exit": {}}

    def spawn(self, seed: int, rounds: int, timeout: float, offline: bool = False) -> int | None:
        """The forked life's pid; None when the zygote did not answer in time."""
        assert self.proc.stdin is not None
        request = {"seed": seed, "rounds": rounds, "offline": offline}
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        pid: int | None = self._wait(lambda: next(iter(self._seen["pid"]), None), timeout, pop="pid")
        return pid

    def ready(self, pid: int, timeout: float) -> bool:
        return self._wait(lambda: pid if pid in self._seen["ready"] or pid in self._seen["exit"]
                          else None, timeout) is not None and pid in self._seen["ready"]

    def exited(self, pid: int, timeout: float) -> int | None:
        """The exit code (negative: the signal) once the life ended, None on timeout."""
        got = self._wait(lambda: pid if pid in self._seen["exit"] else None, timeout)
        return None if got is None else self._seen["exit"][pid]

    def forget(self, pid: int) -> None:
        for seen in self._seen.values():
            seen.pop(pid, None)

    def _wait(self, found: Any, timeout: float, pop: str | None = None) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = found()
            if value is not None:
                if pop:
                    self._seen[pop].pop(value, None)
                return value
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                return None

    def _read(self, timeout: float) -> bool:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            if not sel.select(timeout):
                return False
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError("the driver zygote died")
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            msg = json.loads(line)
            for key in ("pid", "ready", "exit"):
                if key in msg:
                    self._seen[key][int(msg[key])] = int(msg.get("code", 0))
        return True

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Client:
    def __init__(self, index: int, workdir: Path, proxy: FaultProxy) -> None:
        self.index = index
        self.data_dir = workdir / f"client-{index}"
        self.log_path = workdir / f"actions-{index}.jsonl"
        self.err_path = workdir / f"lives-{index}.err"
        self.proxy = proxy
        self.lives = 0
        self.zygote: Zygote | None = None

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tests.harness.driver", "--data-dir", str(self.data_dir),
                "--log", str(self.log_path), *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MANA_DESKTOP_KEYRING", "none")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Harness:
    def __init__(self, config: Config, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.rng = random.Random(config.seed)
        self.lock = threading.Lock()
        self.result = RunResult()
        self.memory = self.result.memory = MemoryWatch(config.kills, config.rss_rounds)
        self.clients: list[Client] = []
        self.server: Any = None
        self.runner: Any = None
        self.stop = threading.Event()

    # -- set-up -------------------------------------------------------------------------------
    def setup(self) -> None:
        from mana_desktop.server.runner import install
        from mana_desktop.server.testing import start_server

        self.server = start_server(self.workdir / "server.db", users=[(EMAIL, PASSWORD)])
        self.runner = install(self.server.service, autostart=False)
        for i in range(self.config.clients):
            proxy = FaultProxy("127.0.0.1", self.server.port, seed=self.config.seed * 1000 + i)
            client = Client(i, self.workdir, proxy.start())
            self._login(client)
            self.clients.append(client)
        self._create_missions(self.clients[0])

    def _login(self, client: Client) -> None:
        cmd = [sys.executable, "-m", "mana_desktop", "login", "--server", client.proxy.url,
               "--email", EMAIL, "--password-stdin", "--data-dir", str(client.data_dir)]
        done = subprocess.run(cmd, input=PASSWORD + "\n", capture_output=True, text=True,
                              env=_env(), timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"login failed: {done.stderr.strip()}")
        from mana_desktop.store.profile import Profile

        profile = Profile(client.data_dir)
        # A short undo window: decisions are held (and killed while held) like in the app,
        # but the hold has long ended when the drain runs.
        profile.save_settings(profile.load_settings().model_copy(update={"undo_window_s": 0.3}))

    def _create_missions(self, client: Client) -> None:
        from mana_desktop.store.profile import Profile
        from tests.harness.driver import open_workbench

        profile = Profile(client.data_dir)
        replica = profile.open_replica()
        try:
            wb = open_workbench(replica, profile.load_settings())
            if wb is None:
                return
            for n in range(self.config.missions):
                wb.create_mission(
                    title=f"Weekly review {n}", objective="Plan my week: tasks and a review",
                    cadence={"kind": "interval", "everyMinutes": 0.005},
                )
                self.result.counts["missions"] += 1
        finally:
            replica.close()
        self._drain_one(client)

    # -- the kill phase ---------------------------------------------------------------------------
    def _draw(self) -> tuple[float, float, int]:
        with self.lock:
            return self.rng.random(), self.rng.random(), self.rng.randrange(2**31)

    def _weather(self, client: Client, roll: float, seed: int) -> None:
        client.proxy.clear()
        if roll < self.config.offline_rate:
            client.proxy.set_offline(True)
            self._count("offline_lives")
        elif roll < self.config.offline_rate + self.config.fault_rate:
            rule = _fault_rule(random.Random(seed))
            client.proxy.add(rule)
            self._count(f"lives_with_{rule.kind}{'_after' if rule.phase == 'after' else ''}")

    def _count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.result.counts[key] += n

    def _kills_done(self) -> bool:
        with self.lock:
            return self.result.counts["kill_points"] >= self.config.kills

    def _life(self, client: Client) -> None:
        """One forked life: weather, spawn, wait for `ready`, SIGKILL after a random delay."""
        weather, delay_roll, seed = self._draw()
        self._weather(client, weather, seed)
        client.lives += 1
        if client.zygote is None:
            client.zygote = Zygote(client.command("--zygote", str(client.err_path)))
        zygote = client.zygote
        pid = zygote.spawn(seed, self.config.rounds_per_life, READY_TIMEOUT_S,
                           offline=client.proxy.offline)
        if pid is None:
            self._crash(client, "the zygote did not fork a life")
            return
        self._count("lives")
        try:
            if not zygote.ready(pid, READY_TIMEOUT_S):
                code = zygote.exited(pid, READY_TIMEOUT_S)
                self._crash(client, f"life {pid} never became ready (exit {code})", pid)
                return
            code = zygote.exited(pid, delay_roll * self.config.max_kill_delay_s)
            if code is None:
                self.memory.child(pid, "life")  # its peak so far; after the kill /proc forgets it
                os.kill(pid, signal.SIGKILL)
                code = zygote.exited(pid, READY_TIMEOUT_S)
                self._count("kill_points")
                with self.lock:
                    kills = self.result.counts["kill_points"]
                self.memory.kill_point(kills)
            elif code == 0:
                self._count("natural_exits")
            else:
                self._crash(client, f"life {pid} exit code {code}", pid)
        finally:
            zygote.forget(pid)

    def _crash(self, client: Client, why: str, pid: int | None = None) -> None:
        tail = ""
        if pid is not None and client.err_path.exists():
            text = client.err_path.read_text(errors="replace")
            part = text.split(f"--- life pid {pid} ", 1)[-1]
            tail = " | ".join(part.strip().splitlines()[-6:])
        with self.lock:
            self.result.crashes.append(f"client {client.index}: {why}: {tail}")

    def _client_loop(self, client: Client) -> None:
        while not self._kills_done() and not self.stop.is_set():
            self._life(client)
            with self.lock:
                if len(self.result.crashes) >= 5:
                    self.stop.set()  # something is broken; do not burn minutes on it

    def _runner_loop(self) -> None:
        while not self.stop.wait(self.config.runner_every_s * (0.5 + self.rng.random())):
            with self.lock:
                if self.result.counts["iterations_planned"] >= self.config.max_iterations:
                    return
            try:
                stats = self.runner.tick()
                self._count("runner_ticks")
                self._count("iterations_planned", getattr(stats, "due_mission_count", 0))
            except Exception as exc:  # a runner failure is a finding, not the end of the run
                with self.lock:
                    self.result.crashes.append(f"runner tick: {exc!r}")

    def _progress_loop(self) -> None:
        while not self.stop.wait(5):
            with self.lock:
                print(f"... {self.result.counts['kill_points']} kill points, "
                      f"{self.result.counts['lives']} lives", file=sys.stderr, flush=True)

    def kill_phase(self) -> None:
        threads = [threading.Thread(target=self._client_loop, args=(c,), daemon=True)
                   for c in self.clients]
        runner = threading.Thread(target=self._runner_loop, daemon=True)
        extra = [threading.Thread(target=self._progress_loop, daemon=True)] if self.config.progress else []
        self.memory.start()
        for t in [*threads, runner, *extra]:
            t.start()
        for t in threads:
            t.join()
        self.stop.set()
        runner.join(30)
        for c in self.clients:
            if c.zygote is not None:
                self.memory.child(c.zygote.proc.pid, "zygote")
                c.zygote.close()
                c.zygote = None
        bound = self.config.max_rss_growth_mb
        self.memory.phase_done("kill phase")
        violation = None if bound is None else rss_growth_violation(self.memory, bound)
        if violation is not None:
            self.result.violations.append(violation)

    # -- quiesce and check ------------------------------------------------------------------------
    def _drain_one(self, client: Client) -> dict[str, Any]:
        client.proxy.clear()
        done = subprocess.run(client.command("--drain"), capture_output=True, text=True,
                              env=_env(), cwd=ROOT, timeout=DRAIN_TIMEOUT_S, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            tail = " | ".join(done.stderr.strip().splitlines()[-6:])
            self.result.crashes.append(f"client {client.index} drain failed: {tail}")
            return {}
        report: dict[str, Any] = json.loads(lines[-1])
        self.memory.child_kb("drain", report.get("peak_rss_kb"))
        return report

    def quiesce(self) -> None:
        previous = -1
        for round_ in range(6):
            reports = [self._drain_one(c) for c in self.clients]
            total = _server_row_count(self.workdir / "server.db")
            stuck = [r for r in reports if r.get("pending") or r.get("quarantined")]
            if total == previous and not stuck:
                self.result.counts["drain_rounds"] = round_ + 1
                return
            previous = total
        for c, r in zip(self.clients, reports, strict=True):
            if r.get("pending") or r.get("quarantined"):
                self.result.violations.append(
                    f"client {c.index} cannot drain: {r.get('pending')} pending, "
                    f"{r.get('quarantined')} quarantined ({r.get('summary')})")
        self.result.violations.append("the system did not quiesce within 6 drain rounds")

    def check(self) -> None:
        from mana_desktop.store.profile import Profile

        keys = Profile(self.clients[0].data_dir).load_settings().subscription_pairs()
        pages = checks.server_pages(self.server.url, self.server.token(EMAIL), keys)
        merged = checks.replay(self.workdir / "replay.db", pages)
        try:
            want = checks.snapshot(merged, keys)
            self.result.counts["server_records"] = len(want)
            for c in self.clients:
                replica = Profile(c.data_dir).open_replica()
                try:
                    got = checks.snapshot(replica, keys)
                finally:
                    replica.close()
                self.result.violations += checks.compare(f"client {c.index}", got, want)
            rows = checks.server_rows(self.workdir / "server.db")
            self.result.counts["server_changes"] = len(rows)
            logs = [json.loads(line) for c in self.clients if c.log_path.exists()
                    for line in c.log_path.read_text().splitlines() if line.strip()]
            problems, counts = checks.check_promises(logs, rows, merged)
            self.result.violations += problems
            self.result.counts.update(counts)
            problems, counts = checks.check_steps(rows, merged)
            self.result.violations += problems
            self.result.counts.update(counts)
        finally:
            merged.close()

    def close(self) -> None:
        for c in self.clients:
            if c.zygote is not None:
                c.zygote.close()
            self.result.faults.update(c.proxy.counts())
            c.proxy.stop()
        if self.server is not None:
            self.server.stop()


def _server_row_count(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM sync_changes").fetchone()[0])
    finally:
        conn.close()


def run(config: Config, workdir: Path) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    harness = Harness(config, workdir)
    try:
        harness.setup()
        harness.kill_phase()
        if harness.result.crashes:
            return harness.result
        harness.quiesce()
        harness.memory.phase_done("drain")
        harness.check()
        harness.memory.phase_done("checks")
    finally:
        harness.close()
        harness.result.elapsed_s = time.monotonic() - started
    return harness.result

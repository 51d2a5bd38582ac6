"""A warm worker: one interpreter that imports a program's modules once, then runs its trials.

The process and Ray executors start it (``warm.py``) as::

    python -c "from glovec.runtime.executors.server import main; main()" SETUP CMD_FD EVT_FD

``SETUP`` is a JSON file: the generated program (``code``, ``source_path``, ``header_line``,
``file``, ``argv``, ``cwd``), ``preload`` (more modules to import), ``mode``, ``memory_limit``
and ``entry`` (``module:function(worker, msg)`` run for each command instead of a search trial:
``glovec check --dynamic`` runs its coverage runs so). The worker takes the folder of the program as ``sys.path[0]`` and the program's
argv, imports every module the program imports at module level (its own modules beside it
excepted: they run the user's code, which belongs to a trial), those of ``preload`` and those a
framework it imported imports on first use (``FIRST_USE_IMPORTS``), then says
``ready`` and serves. Commands come as JSON lines on CMD_FD, events go back on EVT_FD:

- ``{"op": "run", "trial": ID, "payload": FILE, "result": FILE, "stdout": FILE, "stderr": FILE,
  "env": {...}}`` runs a trial; events ``{"event": "started", "trial", "pid"}`` then
  ``{"event": "ended", "trial", "code"}`` (exit status, or minus the signal that ended it), or
  ``{"event": "refused", "trial"}`` from a fork server that retires (``{"event": "retire",
  "why"}`` said so);
- ``{"op": "kill", "trial": ID}`` kills a running trial's process group (fork mode);
- end of file: the worker kills what runs and exits.

Modes (``ready`` says which one it took and why):

- ``fork``: a fork server. Each trial is a child forked from the warm worker, in its own session
  (process group), with its own stdout/stderr, memory limit and ``PR_SET_PDEATHSIG``; it runs the
  trial (``inline.run_here``), writes the result file and exits like an interpreter would
  (``atexit`` handlers, non-daemon threads; not the slow module-by-module teardown, nor the
  ``weakref.finalize`` callbacks of objects the worker made before the fork: those are the
  worker's). Whatever the trial leaves behind (framework
  sessions, random states, caches, its own children: the group is killed when it ends) dies with
  it; the next trial forks from the untouched warm worker, with the random states seeded anew.
  The child lists the modules its trial imported (``<result>.imports``: not the program's own,
  nor glovec's, nor any imported after the program's code changed ``os.environ``); the worker
  imports them before it forks the next trial (``learn``), so later trials do not pay them again;
  an import that starts a thread or initializes CUDA makes it ``retire`` (it ends after its
  running trials; ``run`` commands meanwhile are ``refused`` and go to its successor, which
  does not learn: ``"learn": false`` in SETUP). Where the warm worker itself has
  initialized CUDA while importing (a fork would inherit a CUDA context it cannot use), or the
  platform has no ``fork``, the worker takes the next mode instead.
- ``reuse``: the worker runs trial after trial itself, resetting between trials what it can:
  ``__main__``, argv, ``sys.path``, the environment, Keras's session, the global random states
  of ``random``, NumPy and torch (seeded anew, as a fresh interpreter seeds them), and the
  program's own modules (imported again by the next trial).
  State kept inside third-party modules stays; a trial that crashes, hangs or runs out of memory
  takes the worker with it and the executor starts a new one.
- ``fresh``: as ``reuse``, but the worker exits after one trial (a fresh interpreter per trial,
  started ahead of time).

Only the standard library and ``glovec.runtime`` are imported here before the program's modules.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import os
import select
import signal
import sys
import time

from ..wire import jsonable, read_trial, should_stop_from
from .base import ProgramRef
from .inline import compile_program, run_here

__all__ = ["main", "module_imports", "exec_as_spawn_main"]

# What a multiprocessing "spawn" child of a trial imports as its __main__ (spawn_main.py).
SPAWN_MAIN = "glovec.runtime.executors.spawn_main"

# Modules a framework imports on its first use, which nearly every trial reaches: the worker
# imports them with the framework, so that no trial pays them (torch's optimizers import
# torch._dynamo, and sympy with it, on their first step: about 1.5 s, in every forked trial before
# the worker learned it; done beside the first trial instead, it costs two or three imports of it
# at once on two cores, not less time). Only when the framework is imported anyway; a failure is
# silent. (Running a step of a tiny torch model here as well saved forked trials nothing
# measurable: what they pay for being new processes is not torch's first-use setup.)
FIRST_USE_IMPORTS = {"torch": ("torch._dynamo",)}


def module_imports(code: str) -> list[str]:
    """Absolute module names the program imports at module level (also under ``if``/``try``/
    ``with`` there), in order; ``from a import b`` also names ``a.b`` (which may be a module)."""
    names: list[str] = []

    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.append(node.module)
                names.extend(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.ClassDef,
                                                                         ast.AsyncFunctionDef)):
                    visit(inner)
            for handler in getattr(node, "handlers", ()) or ():
                visit(handler.body)

    try:
        visit(ast.parse(code).body)
    except SyntaxError:
        return []
    return list(dict.fromkeys(names))


def _beside(path: str | None, folder: str) -> bool:
    """Whether the module or package at ``path`` sits directly in ``folder`` (the program's own,
    found through ``sys.path[0]``; a virtualenv inside that folder is not the program's)."""
    if not path:
        return False
    path = os.path.abspath(path)
    if os.path.basename(path) == "__init__.py":
        path = os.path.dirname(path)
    return os.path.dirname(path) == folder


def preload(names, folder: str, explicit=()) -> tuple[list, list]:
    """Import ``names`` (skipping the program's own modules under ``folder``) and ``explicit``;
    (imported, [(name, why)] that failed)."""
    done, failed = [], []
    for name in list(names) + [n for n in explicit if n not in names]:
        if name in sys.modules:
            continue
        top = name.split(".")[0]
        try:
            spec = importlib.util.find_spec(top) if top not in sys.modules else None
        except (ImportError, ValueError):
            spec = None
        if spec is not None and name not in explicit:
            where = [spec.origin, *(spec.submodule_search_locations or ())]
            if any(_beside(p, folder) for p in where):
                continue  # the program's own module: its code belongs to each trial
        if "." in name and name not in explicit:
            try:
                if importlib.util.find_spec(name) is None:
                    continue  # `from a import b` where b is not a module
            except (ImportError, ValueError):
                continue
        try:
            importlib.import_module(name)
            done.append(name)
        except BaseException as exc:  # noqa: BLE001 - the trial will meet it and report it
            failed.append((name, f"{type(exc).__name__}: {exc}"))
    return done, failed


def take_program_place(source_path: str, argv) -> None:
    """``sys.argv`` and ``sys.path[0]`` as ``python SOURCE ARGV`` sets them."""
    folder = os.path.dirname(os.path.abspath(source_path))
    sys.argv = [source_path, *argv]
    if sys.path and sys.path[0] == folder:
        return
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path[0] = folder
    else:
        sys.path.insert(0, folder)


def early_imports(setup: dict, cmd_fd: int) -> tuple:
    """A worker started before its program was compiled (``"early"`` in its first SETUP: the
    source's path, argv and module-level ``imports``): import those while the driver compiles,
    then read the real SETUP's path, the first command line. (imported, failed, seconds) and
    that SETUP, or None for it when the driver went without sending one."""
    take_program_place(setup["source_path"], setup.get("argv") or ())
    start = time.perf_counter()
    folder = os.path.dirname(os.path.abspath(setup["source_path"]))
    done, failed = preload(setup.get("imports") or (), folder, tuple(setup.get("preload") or ()))
    seconds = time.perf_counter() - start
    line = b""
    while not line.endswith(b"\n"):  # byte by byte: what follows the line is the worker's
        byte = os.read(cmd_fd, 1)
        if not byte:
            return (done, failed, seconds), None
        line += byte
    with open(json.loads(line)["path"], encoding="utf-8") as f:
        return (done, failed, seconds), json.load(f)


def cuda_in_use() -> str | None:
    """Why forking this process could hand a child an unusable CUDA context, or None."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_initialized():
                return "torch initialized CUDA while the program's modules were imported"
        except Exception:  # noqa: BLE001
            pass
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            if "libcuda.so" in f.read():
                return "the CUDA driver was loaded while the program's modules were imported"
    except OSError:
        pass
    return None


class _Worker:
    def __init__(self, setup: dict, cmd_fd: int, evt_fd: int) -> None:
        self.setup = setup
        self.cmd_fd = cmd_fd
        self.evt_fd = evt_fd
        self.prog = ProgramRef(code=setup["code"], path=setup.get("path"),
                               source_path=setup["source_path"], header_line=setup["header_line"],
                               argv=list(setup.get("argv") or ()), cwd=setup.get("cwd"))
        self.folder = os.path.dirname(os.path.abspath(self.prog.source_path))
        self.buffer = b""
        self.children: dict[int, object] = {}  # pid -> trial id
        self.imports: dict[int, str] = {}  # pid -> the file where that trial lists its imports
        self.learned: list[str] = []  # modules imported after trials imported them lazily
        self.to_learn: list = []  # ... reported by trials that ended, learned before the next fork
        self.unlearnable: set[str] = set()  # ... and those that could not be (or must not be)
        self.learn_seconds = 0.0
        self.retiring = False
        self.pid = os.getpid()

    # -- events and commands ------------------------------------------------------------------

    def send(self, **event) -> None:
        data = (json.dumps(event, default=jsonable) + "\n").encode()
        try:
            os.write(self.evt_fd, data)
        except OSError:  # the executor is gone
            self._shutdown()

    def commands(self):
        """Complete command lines read so far; None at end of file."""
        try:
            chunk = os.read(self.cmd_fd, 65536)
        except BlockingIOError:  # nothing yet: not the end
            return []
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    # -- start ------------------------------------------------------------------------------

    def start(self, early=None) -> str:
        """Import the program's modules, pick the mode, say ``ready``; ``early``: (imported,
        failed, seconds) of ``early_imports``, done before the SETUP came."""
        take_program_place(self.prog.source_path, self.prog.argv)
        t0 = time.perf_counter() - (early[2] if early else 0.0)
        self.code = compile_program(self.prog)
        names = module_imports(self.prog.code)
        done, failed = preload(names, self.folder, tuple(self.setup.get("preload") or ()))
        if early:
            done, failed = list(early[0]) + done, list(early[1]) + failed
        follow = [name for top, firsts in FIRST_USE_IMPORTS.items() if top in sys.modules
                  for name in firsts]
        done += preload(follow, self.folder)[0]
        mode, why = self.setup.get("mode") or "fork", self.setup.get("why") or ""
        if mode == "fork":
            if not hasattr(os, "fork"):
                mode, why = "reuse", "this platform cannot fork"
            else:
                cuda = cuda_in_use()
                if cuda:
                    mode, why = "reuse", cuda
        self.mode = mode
        limit = self.setup.get("memory_limit")
        if limit and mode != "fork":  # fork mode limits each trial's process instead
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        self.send(event="ready", mode=mode, why=why, preloaded=done, failed=failed,
                  seconds=round(time.perf_counter() - t0, 3))
        return mode

    # -- fork mode ----------------------------------------------------------------------------

    def serve_fork(self):
        """Serve until the executor goes; returns a command only in a freshly forked trial child."""
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        os.set_blocking(self.cmd_fd, False)
        while True:
            readable, _, _ = select.select([self.cmd_fd, wake_r], [], [], 1.0)
            if wake_r in readable:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
            self._reap()
            if self.retiring and not self.children:
                self._shutdown()
            if self.cmd_fd not in readable:
                continue
            msgs = self.commands()
            if msgs is None:
                self._shutdown()
            for msg in msgs:
                if msg.get("op") == "kill":
                    for pid, trial in self.children.items():
                        if trial == msg.get("trial"):
                            _killpg(pid)
                elif msg.get("op") == "run":
                    if self.to_learn:  # only when another trial comes: a last one ends at once
                        self.learn(self.to_learn)
                        self.to_learn = []
                    if self.retiring:
                        self.send(event="refused", trial=msg["trial"])  # the next worker runs it
                        continue
                    for stream in (sys.stdout, sys.stderr):
                        stream.flush()
                    # What the worker holds moves out of the collector's sight: a child's
                    # collections then neither scan it nor copy its pages (seconds with TF).
                    gc.freeze()
                    pid = os.fork()
                    if pid == 0:  # the trial's process
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        for fd in (wake_r, wake_w, self.cmd_fd, self.evt_fd):
                            os.close(fd)
                        return msg
                    self.children[pid] = msg["trial"]
                    if self.setup.get("learn", True) and not msg.get("env"):
                        self.imports[pid] = imports_file(msg)
                    self.send(event="started", trial=msg["trial"], pid=pid)

    def _reap(self) -> None:
        while self.children:
            pid = _exited_child()
            if pid is None:
                return
            _killpg(pid)  # what the trial left running dies with it (its group outlives the leader)
            try:
                _, status = os.waitpid(pid, 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = -9
            trial = self.children.pop(pid, None)
            self.to_learn.extend(_read_imports(self.imports.pop(pid, None)))
            if trial is not None:
                self.send(event="ended", trial=trial, code=code)

    def learn(self, entries: list) -> None:
        """Import here what a trial imported lazily (``[name, origin]`` pairs, in its order), so
        that the next trials fork with it imported instead of importing it again each.

        Only a module that this worker finds at the same file as the trial did, whose parents
        were learned too, and never glovec's own (they read the trial's environment when
        imported). Should the imports leave a thread running here or initialize CUDA (a forked
        child would get a copy without the thread, or a CUDA context it cannot use), this worker
        retires: it ends once its running trials have, and a worker that does not learn takes its place.
        """
        import threading

        threads = threading.active_count()
        start = time.perf_counter()
        for name, origin in entries:
            if name in sys.modules or name in self.unlearnable:
                continue
            parts = name.split(".")
            if any(".".join(parts[:i]) in self.unlearnable for i in range(1, len(parts))):
                self.unlearnable.add(name)
                continue
            try:
                spec = importlib.util.find_spec(name)
                if spec is None or spec.origin != origin:
                    raise ImportError("found elsewhere than in the trial")
                importlib.import_module(name)
                self.learned.append(name)
            except BaseException:  # noqa: BLE001 - the trials import it themselves, as before
                self.unlearnable.add(name)
        self.learn_seconds += time.perf_counter() - start
        why = cuda_in_use()
        if why is None and threading.active_count() > threads:
            why = "a module the trials import lazily started a thread when imported"
        if why:
            self.send(event="retire", why=why)
            self.retiring = True

    def _shutdown(self):
        for pid in list(self.children):
            _killpg(pid)
        os._exit(0)

    def become_trial(self, msg: dict) -> None:
        """In the forked child: its own session, dies with the worker, limits, files, env."""
        os.setsid()
        _die_with_parent(self.pid)
        limit = self.setup.get("memory_limit")
        if limit:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        _redirect(msg)
        os.environ.update(_trial_env(msg))
        reseed()  # as in a fresh interpreter (`random` reseeds itself after a fork)
        self.modules_before = set(sys.modules)
        self.inherited_finalizers = _exit_finalizers()
        self.modules_then: set | None = None  # sys.modules when the program first set a variable
        _watch_environ(self)

    def note_imports(self, msg: dict) -> None:
        """In the forked child, after its trial: list for the warm worker the modules the trial
        imported (not the program's own, nor glovec's), up to where the program first changed
        ``os.environ`` (a later import may depend on it: ``KERAS_BACKEND``, say)."""
        if not self.setup.get("learn", True) or msg.get("env"):
            return
        entries = []
        for name, module in list(sys.modules.items()):
            if name in self.modules_before or name.partition(".")[0] in ("glovec", "__main__",
                                                                         "__mp_main__"):
                continue
            if self.modules_then is not None and name not in self.modules_then:
                continue
            spec = getattr(module, "__spec__", None)
            top = sys.modules.get(name.partition(".")[0])
            if spec is None or spec.name != name or _beside(getattr(top, "__file__", None),
                                                               self.folder):
                continue  # an alias, a module made up at run time, or the program's own
            entries.append([name, spec.origin])
        if not entries:
            return
        path = imports_file(msg)
        try:
            with open(f"{path}.tmp", "w", encoding="utf-8") as f:
                json.dump(entries, f)
            os.replace(f"{path}.tmp", path)
        except OSError:
            pass

    # -- reuse and fresh modes ----------------------------------------------------------------

    def serve_here(self, runner) -> None:
        """Run trial after trial in this interpreter (``fresh``: one, then exit)."""
        os.set_blocking(self.cmd_fd, True)
        while True:
            msgs = self.commands()
            if msgs is None:
                return
            for msg in msgs:
                if msg.get("op") != "run":
                    continue
                self.send(event="started", trial=msg["trial"], pid=os.getpid())
                saved = _Saved(msg)
                try:
                    reseed()
                    runner(self, msg)
                finally:
                    saved.restore()
                    _forget_own_modules(self.folder)
                    _kill_my_group_but_me()
                self.send(event="ended", trial=msg["trial"], code=0)
                if self.mode == "fresh":
                    return


def run_trial(worker: _Worker, msg: dict) -> None:
    """Run the trial ``msg`` names in this interpreter and write its result file."""
    payload = read_trial(msg["payload"])
    result = run_here(worker.prog, worker.code, payload.get("trial_id"), payload.get("decisions") or {},
                      should_stop_from(payload.get("early_stopping")),
                      main_spec=importlib.machinery.ModuleSpec(SPAWN_MAIN, None))
    data = {"trial_id": result.trial_id, "status": result.status, "objective": result.objective,
            "metrics": result.metrics, "reports": [list(r) for r in result.reports],
            "error": result.error}
    if result.error and result.status == "failed":
        sys.stderr.write(result.error if result.error.endswith("\n") else result.error + "\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    tmp = f"{msg['result']}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, default=jsonable)
    os.replace(tmp, msg["result"])


def _watch_environ(worker: _Worker) -> None:
    """In a forked trial: note ``sys.modules`` when the program's own code (not a library it
    imports) first sets or deletes an environment variable."""
    environ_class = type(os.environ)
    library = {os.__file__, getattr(sys.modules.get("_collections_abc"), "__file__", None)}
    folder = worker.folder + os.sep

    def note() -> None:
        if worker.modules_then is not None:
            return
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename in library:
            frame = frame.f_back
        where = frame.f_code.co_filename if frame is not None else ""
        if where.startswith(folder) and "site-packages" not in where:
            worker.modules_then = set(sys.modules)

    set_item, del_item = environ_class.__setitem__, environ_class.__delitem__

    def __setitem__(self, key, value):
        note()
        set_item(self, key, value)

    def __delitem__(self, key):
        note()
        del_item(self, key)

    environ_class.__setitem__ = __setitem__
    environ_class.__delitem__ = __delitem__


def imports_file(msg: dict) -> str:
    """Where a forked trial lists the modules it imported, for its warm worker to learn."""
    return f"{msg['result']}.imports"


def _read_imports(path: str | None) -> list:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
        os.unlink(path)
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2]


def _trial_env(msg: dict) -> dict:
    env = dict(msg.get("env") or {})
    env["GLOVEC_TRIAL"] = msg["payload"]  # for "spawn" children: they re-run the header
    env["GLOVEC_RESULT"] = msg["result"]
    env["GLOVEC_RESULT_OWNER"] = str(os.getpid())  # ... and only this process reports
    return env


def _redirect(msg: dict) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(msg[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)


class _Saved:
    """What a reused interpreter puts back after a trial: stdio, the environment, the folder."""

    def __init__(self, msg: dict) -> None:
        self.fds = [os.dup(fd) for fd in (0, 1, 2)]
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        _redirect(msg)
        os.environ.update(_trial_env(msg))

    def restore(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        for fd, saved in zip((0, 1, 2), self.fds):
            os.dup2(saved, fd)
            os.close(saved)
        os.environ.clear()
        os.environ.update(self.environ)
        try:
            os.chdir(self.cwd)
        except OSError:
            pass


def reseed() -> None:
    """Seed the global random states of ``random``, NumPy and torch anew, from the system's
    entropy, as each is seeded when a fresh interpreter imports it."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            numpy.random.seed()
        except Exception:  # noqa: BLE001
            pass
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.seed()
        except Exception:  # noqa: BLE001
            pass


def _forget_own_modules(folder: str) -> None:
    """The program's own modules are imported anew by the next trial (their state is the trial's)."""
    for name in list(sys.modules):
        top = sys.modules.get(name.split(".")[0])
        if top is not None and _beside(getattr(top, "__file__", None), folder):
            del sys.modules[name]


def _kill_my_group_but_me() -> None:
    """Processes a trial left behind in this worker's process group (Linux; best effort)."""
    me = os.getpid()
    try:
        group = os.getpgid(0)
        entries = os.listdir("/proc")
    except OSError:
        return
    if group != me:
        return  # not a session of our own: nothing here is ours alone to kill
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue


def _exited_child() -> int | None:
    """The pid of a child that has ended, left unreaped so its process group stays reserved."""
    if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        return info.si_pid if info is not None and info.si_pid else None
    try:
        pid, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return None
    return pid or None


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Linux: this process is killed when its parent dies (a killed worker leaves no trial)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def exec_as_spawn_main(namespace: dict) -> None:
    """Run the trial's program in ``namespace`` (a "spawn" child's ``__mp_main__``): the program
    whose setup the trial names, with ``__file__`` what the trial saw. Its header activates the
    trial's decisions (``GLOVEC_TRIAL``)."""
    trial = read_trial(os.environ["GLOVEC_TRIAL"])
    with open(trial["setup"], encoding="utf-8") as f:
        setup = json.load(f)
    prog = ProgramRef(code=setup["code"], path=setup.get("path"), source_path=setup["source_path"],
                      header_line=setup["header_line"])
    namespace["__file__"] = prog.path or prog.source_path
    exec(compile_program(prog), namespace)


def main() -> None:
    setup_path, cmd_fd, evt_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(setup_path, encoding="utf-8") as f:
        setup = json.load(f)
    # Ctrl-C is the driver's to handle; a worker ends when its command pipe closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(setup.get("parent") or os.getppid())
    early = None
    if setup.get("early"):
        early, setup = early_imports(setup, cmd_fd)
        if setup is None:
            return
    worker = _Worker(setup, cmd_fd, evt_fd)
    runner = run_trial
    if setup.get("entry"):  # another job than a trial: "module:function(worker, msg)"
        module, _, name = setup["entry"].partition(":")
        runner = getattr(importlib.import_module(module), name)
    mode = worker.start(early)
    if mode != "fork":
        worker.serve_here(runner)
        return
    msg = worker.serve_fork()
    if msg is None:
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    worker.become_trial(msg)
    runner(worker, msg)
    worker.note_imports(msg)
    _end_like_an_interpreter(worker.inherited_finalizers)


def _exit_finalizers() -> list:
    """The ``weakref.finalize`` callbacks alive now that would run when this interpreter exits."""
    import weakref

    registry = getattr(weakref.finalize, "_registry", None)  # CPython's, since 3.4
    try:
        return [f for f in list(registry or ()) if f.atexit]
    except Exception:  # noqa: BLE001 - another interpreter's internals: run them all, as before
        return []


def _end_like_an_interpreter(inherited_finalizers=()) -> None:
    """End a trial's process as ``python`` ends: wait for the program's non-daemon threads, run
    its ``atexit`` handlers, flush; then exit without tearing down every module one by one (in a
    child of a worker that imported TensorFlow that teardown alone takes seconds).

    ``inherited_finalizers``: the ``weakref.finalize`` callbacks the warm worker had made before
    it forked this trial (for objects it made while importing). They are the worker's, not the
    trial's: a trial that ran them would undo the worker's state under every later trial (a
    library's temporary directory deleted), and torch's alone (its operator libraries
    unregistered one by one) cost each trial 40 ms of CPU. The trial's own still run."""
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    for finalizer in inherited_finalizers:
        finalizer.atexit = False  # a no-op for one that ran already
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is not None:
        run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    os._exit(0)

"""``program()``, the call in every generated header, and the search driver it hands control to.

``program()`` runs at every import of a generated program, so this module imports nothing beyond
``os`` and ``sys`` at load; the driver's collaborators (DNA, algorithms, study, executors) load
only when a search actually starts.

The driver (``run_search``) runs the search loop (``glovec.runtime.loop.Search``, the same loop
``sample()`` runs) with an executor as the evaluator::

    while trials remain:  ask the algorithm for DNA up to the executor's capacity, submit;
                          collect finished trials; feed their rewards back; record them.

Settings come from, lowest to highest precedence: the defaults below (what ``glovec convert``
chose), the environment (``GLOVEC_TRIALS``, ``GLOVEC_ALGORITHM``, ...), and ``glovec run``'s flags.
The program's own ``sys.argv`` is never touched: it passes through to every trial.
"""

from __future__ import annotations

import os
import sys

__all__ = ["program", "main", "run_search", "Settings", "settings_from_env", "ENV"]


def program(name: str, file: str | None, source: str, header_line: int, space_json: str) -> None:
    """Decide what a generated program does at its header line (docs/internals.md section 5)."""
    from . import hyper

    if '"cells":' in space_json:  # a notebook's script: tracebacks name cells, IPython lines run
        from . import notebook

        notebook.enter(name, source, space_json)
        if file is None:  # the converted notebook in a kernel: every site yields its default
            return
    if hyper.current() is not None:  # 1. an inline trial is running this body
        if '"configs":' in space_json:  # the trial's values in its config files
            _enter_configs(space_json, file)
        return
    if os.environ.get("GLOVEC_TRIAL") is not None:  # 2. a worker runs this file as a script
        from . import worker

        worker.enter(file=file, source=source, header_line=header_line, space_json=space_json)
        if '"configs":' in space_json and hyper.current() is not None:
            _enter_configs(space_json, file)
        return
    if name == "__main__" and os.environ.get("GLOVEC_DEFAULTS") != "1":  # 3. run the search
        main(file, source, header_line, space_json)
        return
    # 4. imported, run_path, or GLOVEC_DEFAULTS=1: every site yields its default


def _enter_configs(space_json: str, file: str | None) -> None:
    from . import configs, hyper

    configs.enter(space_json, file, hyper.current().decisions)


# ---- settings ---------------------------------------------------------------------------------


class Settings:
    """What a search run is asked to do. ``None`` means "the default"."""

    FIELDS = {
        # name: (default, parser of the environment's text)
        "trials": (20, int),
        "algorithm": (None, str),  # None: chosen from the space (algorithms.choose_default)
        "study": (None, str),
        "seed": (None, int),
        "executor": (None, str),  # None: inline, or process with workers > 1
        "workers": (1, int),
        "timeout": (None, float),
        "memory_limit": (None, str),
        "gpus_per_trial": (0, float),
        "cpus_per_trial": (None, float),
        "resources": (None, str),
        "retries": (1, int),
        "ray_address": (None, str),
        "ray_runtime_env": (None, str),
        "resume": (False, lambda s: s.strip().lower() in ("1", "true", "yes", "on")),
        "migrate": (False, lambda s: s.strip().lower() in ("1", "true", "yes", "on")),
        "objective": (None, str),
        "early_stopping": (None, str),
        "top": (5, int),
        "preload": (None, str),
        # search flows (glovec.runtime.flow, docs/flows.md)
        "only": (None, str),
        "fix_from": (None, str),
        "nest": (None, str),
        "inner_trials": (None, int),
        "inner_algorithm": (None, str),
        "enqueue": (None, str),
        "warm_start": (None, str),
        "one_shot": (None, str),
        "finalists": (None, int),  # one-shot: best estimates trained alone (oneshot/finalists.py)
    }

    def __init__(self, **values) -> None:
        for key, (default, _) in self.FIELDS.items():
            setattr(self, key, values.pop(key, default))
        if values:
            raise TypeError(f"unknown settings: {', '.join(sorted(values))}")

    def update(self, **values) -> "Settings":
        """Override with every value that is not None."""
        for key, value in values.items():
            if key not in self.FIELDS:
                raise TypeError(f"unknown setting {key!r}")
            if value is not None:
                setattr(self, key, value)
        return self

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in self.FIELDS}


# setting -> environment variable
ENV = {key: "GLOVEC_" + key.upper() for key in Settings.FIELDS}
# A one-shot run's own defaults, for the settings nobody gave: its search over estimates (over
# 24 searches of 60 estimates on the cell example's spos supernets, tpe's picks trained alone to
# 0.9784 on average, 17 of them at or above the 75th percentile; evolution: 0.9723, 7), and as
# many estimates as were measured (an estimate is a forward pass: 60 took 4-7 s there; 100 found
# higher estimates, not better cells); docs/oneshot.md.
# Its finalists: the 2 best estimates and the program's own architecture, trained alone.
ONE_SHOT_DEFAULTS = {"algorithm": "tpe", "trials": 60, "finalists": 2}


def apply_one_shot_defaults(settings: "Settings", given) -> None:
    """For a one-shot run, ``ONE_SHOT_DEFAULTS`` in place of the settings not in ``given`` (the
    names a flag or ``convert`` set) nor in the environment."""
    if settings.one_shot:
        for name, value in ONE_SHOT_DEFAULTS.items():
            if name not in given and not os.environ.get(ENV[name]):
                setattr(settings, name, value)


def settings_from_env(base: Settings | None = None, environ=None) -> Settings:
    """``base`` (or the defaults) overridden by the ``GLOVEC_*`` environment variables."""
    environ = os.environ if environ is None else environ
    settings = base or Settings()
    for key, var in ENV.items():
        text = environ.get(var)
        if text is None or text == "":
            continue
        parse = Settings.FIELDS[key][1]
        try:
            setattr(settings, key, parse(text))
        except ValueError:
            raise UsageError(f"{var}={text!r} is not a valid {key.replace('_', ' ')}") from None
    return settings


class UsageError(Exception):
    """A setting is not usable (exit status 2)."""


# ---- entry from a generated program (case 3) --------------------------------------------------


def main(file: str, source: str, header_line: int, space_json: str,
         settings: Settings | None = None) -> None:
    """Run the whole search for the generated program at ``file``, then exit the process."""
    import json

    from .executors import ProgramRef

    file = os.path.abspath(file)
    with open(file, encoding="utf-8") as fh:
        code = fh.read()
    source_path = os.path.normpath(os.path.join(os.path.dirname(file), source))
    space_doc = json.loads(space_json)
    try:
        if settings is None:  # what `glovec convert --trials ... --algorithm ...` chose
            settings = Settings(**space_doc.get("settings", {}))
        settings = settings_from_env(settings)
        apply_one_shot_defaults(settings, space_doc.get("settings", {}))
    except (UsageError, TypeError) as exc:
        print(f"glovec: {exc}", file=sys.stderr)
        sys.exit(2)
    prog = ProgramRef(code=code, path=file, source_path=source_path, header_line=header_line,
                      argv=list(sys.argv[1:]), cwd=os.getcwd())
    if settings.study is None:
        settings.study = default_study_path(file)
    try:
        status = run_search(prog, space_doc, settings)
    except KeyboardInterrupt:
        status = 130  # run_search said what happened; no traceback for a Ctrl-C (130, as shells)
    sys.stdout.flush()
    sys.exit(status)


def default_study_path(program_path: str) -> str:
    """``<program stem>.glovec.db`` beside the program."""
    folder, base = os.path.split(os.path.abspath(program_path))
    stem = os.path.splitext(base)[0] if base.endswith((".py", ".ipynb")) else base
    return os.path.join(folder, stem + ".glovec.db")


# ---- the search loop ------------------------------------------------------------------------


def run_search(prog, space_doc: dict, settings: Settings, out=None, err=None) -> int:
    """Run a search for ``prog`` (an executors.ProgramRef) and return the exit status.

    0: every requested trial finished (failed trials included; they are results too);
    1: the study could not be opened or continued (a GV5xx message), or no trial completed;
    2: a setting is unusable.
    """
    from .study import Study, StudyError

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if settings.finalists is not None and not settings.one_shot:
        print("glovec: --finalists only makes sense with --one-shot", file=err)
        return 2
    if settings.one_shot:  # weight sharing: one training of a supernet (runtime/oneshot/)
        from .oneshot import run_one_shot

        return run_one_shot(prog, space_doc, settings, out, err, table=format_table)
    try:
        study = Study.open(settings.study, space_doc, resume=settings.resume,
                           migrate=settings.migrate)
    except StudyError as exc:
        print(exc.render(), file=err)
        return 1
    try:
        return _Search(prog, settings, study, out, err).run()
    except UsageError as exc:
        print(f"glovec: {exc}", file=err)
        return 2
    except StudyError as exc:
        print(exc.render(), file=err)
        return 1
    finally:
        study.close()


class _Search:
    """One ``glovec run``: the search loop (``glovec.runtime.loop.Search``) with an executor as
    its evaluator, and the progress and summary it prints."""

    def __init__(self, prog, settings, study, out, err) -> None:
        self.prog = prog
        self.settings = settings
        self.study = study
        self.out = out
        self.err = err
        self.progress = _Progress(err, settings.trials)

    def run(self) -> int:
        import time

        from .algorithms import get_algorithm
        from .early_stopping import make_policy
        from .loop import Search

        settings, study = self.settings, self.study
        if settings.trials < 0:
            raise UsageError("--trials must be at least 0")
        if settings.algorithm is None:
            from .algorithms import choose_default

            settings.algorithm, why = choose_default(study.spec)
            print(f"glovec: searching with {settings.algorithm}, the default for this space ({why}); "
                  "--algorithm random for random search", file=self.err)
        try:
            algorithm = get_algorithm(settings.algorithm, seed=settings.seed)
        except (KeyError, ValueError, ImportError, AttributeError) as exc:
            raise UsageError(str(exc).strip("'\"") or f"unknown algorithm {settings.algorithm!r}") \
                from None
        try:
            policy = make_policy(settings.early_stopping, study.directions[0])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        plan = self._plan(algorithm)
        if plan is None:
            return 1
        search = Search(study.spec, plan.algorithm, study.directions, study=plan.study,
                        early_stopping=policy, objective_metric=settings.objective, observer=self)
        search.recover()
        if study.resumed:
            self._say_resumed()
        counts = study.counts()
        self.best = self._best_key = None
        for t in study.best(1):
            self._improve(t.objective)
        self.progress.start(search.done, counts["failed"] + counts["pruned"], self.best)
        executor = self._executor(policy)
        start = self.progress.t0
        evaluator = plan.evaluator(executor, study.directions, search=Search,
                                   observer=_Inner(self.err), early_stopping=policy,
                                   objective_metric=settings.objective)
        try:
            for _ in search.run(evaluator, settings.trials, tick=self.progress.tick_seconds):
                pass  # an executor's wait returns its results: nothing is passed on
        except _ConstraintRaised as exc:  # a program bug: stop with its diagnostic
            self.progress.finish()
            print(f"{self.prog.source_path}:{exc.line}:1: {exc.message}", file=self.err)
            return 1
        except KeyboardInterrupt:
            self.progress.finish()
            print(f"glovec: interrupted; {len(search.in_flight)} running trial(s) will run again "
                  f"when you resume (--resume, or GLOVEC_RESUME=1)", file=self.err)
            raise
        finally:
            executor.close()
        self.progress.finish()
        if search.exhausted:
            print(f"glovec: {settings.algorithm} has nothing more to propose (the space is "
                  f"exhausted)", file=self.err)
        self._summary(time.time() - start)
        return 0 if study.counts()["completed"] or settings.trials == 0 else 1

    def _plan(self, algorithm):
        """The flow flags (--only, --fix-from, --nest, --enqueue, --warm-start) applied; None
        (said as a GV7xx diagnostic) when they cannot be."""
        from .algorithms import get_algorithm
        from .flow import FlowError, Plan

        s = self.settings

        def inner(outer_id: int):
            seed = None if s.seed is None else s.seed * 1_000_003 + outer_id
            return get_algorithm(s.inner_algorithm or s.algorithm, seed=seed)

        if s.inner_algorithm:
            try:
                get_algorithm(s.inner_algorithm)
            except (KeyError, ValueError, ImportError, AttributeError) as exc:
                raise UsageError(str(exc).strip("'\"")) from None
        try:
            return Plan(s, self.study, algorithm, inner,
                        lambda line: print(f"glovec: {line}", file=self.err))
        except FlowError as exc:
            where = self.prog.source_path or self.study.path
            print(f"{where}:1:1: {exc.code} {exc.message}", file=self.err)
            return None

    # -- the loop's observer ---------------------------------------------------------------------

    def note(self, message: str) -> None:
        print(f"glovec: {message}", file=self.err)

    def running(self, n: int, waited: bool) -> None:
        self.progress.running = n
        if waited:
            self.progress.draw()

    def trial_done(self, tid: int, status: str, objective, error) -> None:
        if status == "completed":
            self._improve(objective)
        self.progress.trial_done(tid, status, objective, error, self.best)
        _stop_on_constraint_error(error)

    # -- pieces -----------------------------------------------------------------------------------

    def _executor(self, policy):
        from .executors import ExecutorError, make_executor

        s = self.settings
        preload = [m.strip() for m in (s.preload or "").split(",") if m.strip()]
        try:
            kind = s.executor or ("process" if s.workers > 1 else "inline")
            executor = make_executor(kind, self.prog, workers=s.workers, timeout=s.timeout,
                                     gpus_per_trial=s.gpus_per_trial, ray_address=s.ray_address,
                                     early_stopping=policy, memory_limit=s.memory_limit,
                                     preload=preload, cpus_per_trial=s.cpus_per_trial,
                                     resources=s.resources, retries=s.retries,
                                     runtime_env=s.ray_runtime_env)
        except (ExecutorError, ValueError, KeyError) as exc:
            raise UsageError(str(exc)) from None
        describe = getattr(executor, "describe", None)
        if describe is not None:  # how trials run, and why (process, ray)
            try:
                print(describe(), file=self.err, flush=True)
            except BaseException:
                executor.close()
                raise
        return executor

    def _improve(self, objective) -> None:
        # Kept in memory: asking the study for its best each trial would scan every row.
        key = self.study.reward(objective[0] if isinstance(objective, tuple) else objective)
        if self._best_key is None or key > self._best_key:
            self._best_key, self.best = key, objective

    def _say_resumed(self) -> None:
        study = self.study
        counts = study.counts()
        parts = [f"resuming {study.path}: {counts['completed']} completed, "
                 f"{counts['failed']} failed, {counts['pruned']} pruned"]
        if study.requeued:
            parts.append(f"{len(study.requeued)} interrupted trial(s) run again "
                         f"({', '.join(map(str, study.requeued))})")
        if study.migrated or study.dropped:
            parts.append(f"migrated: kept {len(study.migrated)}, dropped {len(study.dropped)} "
                         f"trial(s) whose decisions no longer fit")
        print("glovec: " + "; ".join(parts), file=self.err)

    def _summary(self, seconds: float) -> None:
        study = self.study
        counts = study.counts()
        print(f"\n{counts['completed']} completed, {counts['failed']} failed, {counts['pruned']} "
              f"pruned in {_clock(seconds)}", file=self.out)
        top = study.best(self.settings.top)
        if top:
            print(format_table(top, study, direction=study.directions[0]), file=self.out)
        else:
            failed = study.trials("failed")
            if failed and failed[-1].error:
                print(f"no trial completed; the last failure (trial {failed[-1].id}):\n"
                      f"{_tail(failed[-1].error, 20)}", file=self.out)
        print(f"study: {study.path}", file=self.out)


class _ConstraintRaised(Exception):
    """A trial failed because a ``# glovec: constraint`` expression raised (GV705)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _stop_on_constraint_error(error) -> None:
    """Raise ``_ConstraintRaised`` when a trial's error is a constraint that raised."""
    if not error or "GV705 the constraint on line " not in error:
        return
    import re

    found = re.search(r"GV705 the constraint on line (\d+) raised [^\n]*", error)
    if found:
        raise _ConstraintRaised(int(found.group(1)), found.group(0))


class _Inner:
    """The observer of a nested run's inner searches: one line per inner trial."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def note(self, message: str) -> None:
        print(f"  glovec: {message}", file=self.stream)

    def running(self, n: int, waited: bool) -> None:
        pass

    def trial_done(self, tid: int, status: str, objective, error) -> None:
        what = f"objective {_fmt(objective)}" if status == "completed" else status
        if status == "failed" and error:
            what += f": {_tail(error, 1)}"
        print(f"  inner trial {tid} {what}", file=self.stream, flush=True)
        _stop_on_constraint_error(error)


# ---- output ---------------------------------------------------------------------------------


def literal_decisions(study, decisions: dict) -> dict:
    """{site id: candidate text or number}, or the raw decisions when they do not fit the spec."""
    try:
        from .geno import DNA

        return DNA(study.spec, decisions).to_dict(literal=True)
    except Exception:  # noqa: BLE001 - a report must still print what is stored
        return dict(decisions)


def format_table(trials, study, direction: str = "maximize") -> str:
    """The top-trials table: id, objective, and the decisions by site id; where one-shot
    estimates and trials trained alone (its finalists) are listed together, a column says which
    each objective is."""
    from .study.rows import ESTIMATE_METRIC

    estimated = [ESTIMATE_METRIC in (t.metrics or {}) for t in trials]
    mixed = any(estimated) and not all(estimated)
    rows = []
    for t, estimate in zip(trials, estimated):
        decisions = literal_decisions(study, t.decisions)
        text = ", ".join(f"{k}={_short(v)}" for k, v in decisions.items())
        rows.append((str(t.id), _fmt(t.objective),
                     ("estimate" if estimate else "alone") if mixed else None, text))
    header = ("trial", f"objective ({direction})", "measured" if mixed else None, "decisions")
    widths = [max(len(r[i] or "") for r in rows + [header]) for i in range(3)]
    lines = []
    for r in [header] + rows:
        kind = f"{r[2]:<{widths[2]}}  " if mixed else ""
        lines.append(f"{r[0]:>{widths[0]}}  {r[1]:>{widths[1]}}  {kind}{r[3]}")
    return "\n".join(lines)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return "(" + ", ".join(f"{v:.6g}" for v in value) + ")"
    return f"{value:.6g}"


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


class _Progress:
    """A live one-line bar on a terminal; one plain line per finished trial otherwise."""

    def __init__(self, stream, total: int) -> None:
        import time

        self.stream = stream
        self.total = total
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.tick_seconds = 0.25 if self.tty else None
        self.done = 0
        self.failed = 0
        self.running = 0
        self.best = None
        self.t0 = time.time()
        self.done_here = 0
        self._width = 0

    def start(self, done: int, failed: int, best) -> None:
        import time

        self.done, self.failed, self.best = done, failed, best
        self.t0 = time.time()
        self.draw()

    def trial_done(self, tid: int, status: str, objective, error, best) -> None:
        self.done += 1
        self.done_here += 1
        if status != "completed":
            self.failed += 1
        self.best = best
        if self.tty:
            if status == "failed" and error:
                self._clear()
                print(f"trial {tid} failed: {_tail(error, 1)}", file=self.stream)
            return
        what = f"objective {_fmt(objective)}" if status == "completed" else status
        if status == "failed" and error:
            what += f": {_tail(error, 1)}"
        print(f"trial {tid} {what} [{self.done}/{self.total}, best {_fmt(self.best)}, "
              f"{self._times()}]", file=self.stream, flush=True)

    def _times(self) -> str:
        import time

        elapsed = time.time() - self.t0
        text = f"{_clock(elapsed)} elapsed"
        remaining = self.total - self.done
        if self.done_here and remaining > 0:
            text += f", ETA {_clock(elapsed / self.done_here * remaining)}"
        return text

    def draw(self) -> None:
        if not self.tty:
            return
        width = 24
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(frac * width)
        bar = "#" * filled + "-" * (width - filled)
        line = (f"[{bar}] {self.done}/{self.total} done, {self.running} running, "
                f"{self.failed} failed, best {_fmt(self.best)}, {self._times()}")
        pad = max(0, self._width - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._width = len(line)

    def _clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0

    def finish(self) -> None:
        if self.tty and self._width:
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

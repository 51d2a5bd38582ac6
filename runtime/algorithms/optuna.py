"""Any Optuna sampler as a glovec algorithm (needs ``pip install glovec[optuna]``).

    get_algorithm("optuna")                      # TPESampler
    get_algorithm("optuna:RandomSampler", seed=0)
    get_algorithm("optuna:CmaEsSampler", seed=0, sampler_options={"sigma0": 0.5})
    get_algorithm("optuna:NSGAIISampler", objectives=2)   # or a space that declares 2 objectives

Each proposal is an Optuna trial from an in-memory study (``ask``), its parameters suggested
define-by-run while walking the spec tree, so a conditional point is suggested only when its
parent choice makes it active; ``feedback`` is ``tell``. Parameters, by kind of point:

- oneof: ``suggest_categorical(id, [0 .. n-1])`` (candidate indices);
- floatv / intv: ``suggest_float`` / ``suggest_int`` with ``log`` for scale="log" (an intv with a
  step and a log scale is suggested as a log float and snapped to the grid, which Optuna's
  ``suggest_int`` does not allow);
- manyof / permutate: one categorical per position, ``id[j]``; for distinct points position j
  picks among the candidates still free (a Lehmer code), so every proposal is legal and every
  parameter keeps a fixed set of choices;
- custom: drawn from its own sampler (Optuna does not see it).

Optuna is imported when the algorithm is set up, never when glovec.runtime is imported.
"""

from __future__ import annotations

from .base import Algorithm

__all__ = ["OptunaSampler"]


class OptunaSampler(Algorithm):
    name = "optuna"

    def __init__(
        self,
        seed: int | None = None,
        sampler: str = "TPESampler",
        sampler_options: dict | None = None,
        objectives: int | None = None,
    ) -> None:
        super().__init__(seed)
        self.sampler_name = sampler
        self.sampler_options = dict(sampler_options or {})
        self.objectives = objectives
        self.multi_objective = bool(objectives and objectives > 1)
        self.name = f"optuna:{sampler}"

    def _count_objectives(self) -> int:
        """``objectives`` when given, else what the space declares (a list of objectives), else 1."""
        if self.objectives:
            return self.objectives
        declared = (getattr(self.spec, "space_doc", None) or {}).get("objective")
        return len(declared) if isinstance(declared, list) and declared else 1

    def _setup(self) -> None:
        try:
            import optuna
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"algorithm {self.name!r} needs Optuna: pip install 'glovec[optuna]'"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        cls = getattr(optuna.samplers, self.sampler_name, None)
        if cls is None or not isinstance(cls, type):
            known = sorted(n for n in dir(optuna.samplers) if n.endswith("Sampler") and not n.startswith("Base"))
            raise ValueError(f"unknown Optuna sampler {self.sampler_name!r}; known: {', '.join(known)}")
        options = dict(self.sampler_options)
        if self.seed is not None and "seed" not in options:
            try:
                sampler = cls(seed=self.seed, **options)
            except TypeError:  # a sampler without a seed argument
                sampler = cls(**options)
        else:
            sampler = cls(**options)
        count = self._count_objectives()
        self.multi_objective = count > 1
        directions = ["maximize"] * count  # glovec rewards are always larger-is-better
        self._optuna = optuna
        self.study = optuna.create_study(sampler=sampler, directions=directions)
        self._asked: dict = {}  # decisions key -> list of waiting optuna trials

    def _propose(self):
        trial = self.study.ask()
        decisions: dict = {}
        self._suggest(trial, self.ops.roots, decisions)
        dna = self.ops.dna(decisions)
        self._asked.setdefault(tuple(decisions.items()), []).append(trial)
        return dna

    def _suggest(self, trial, nodes, out: dict) -> None:
        for node in nodes:
            value = out[node.id] = self._value(trial, node)
            if node.has_children:
                self._suggest(trial, node.children[value], out)

    def _value(self, trial, node):
        kind, pid = node.kind, node.id
        if kind == "oneof":
            return trial.suggest_categorical(pid, list(range(node.n)))
        if kind == "floatv":
            if node.lo == node.hi:
                return node.lo
            v = trial.suggest_float(pid, node.lo, node.hi, log=node.log)
            return min(max(float(v), node.lo), node.hi)
        if kind == "intv":
            top = node.lo + node.step * (node.count - 1)
            if node.count == 1:
                return node.lo
            if node.log and node.step != 1:
                v = trial.suggest_float(pid, node.lo, top, log=True)
                return node.snap(v)
            return int(trial.suggest_int(pid, node.lo, top, step=node.step, log=node.log))
        if kind in ("manyof", "permutate"):
            slots = node.k if kind == "manyof" else node.n
            distinct = kind == "permutate" or node.distinct
            free = list(range(node.n))
            values = []
            for j in range(slots):
                if distinct:
                    i = trial.suggest_categorical(f"{pid}[{j}]", list(range(node.n - j)))
                    values.append(free.pop(i))
                else:
                    values.append(trial.suggest_categorical(f"{pid}[{j}]", list(range(node.n))))
            if kind == "manyof" and node.sorted:
                values.sort()
            return tuple(values)
        return node.draw(self.rng)

    def _feedback(self, dna, reward) -> None:
        key = tuple(dna.decisions.items())
        waiting = self._asked.get(key)
        TrialState = self._optuna.trial.TrialState
        if waiting:
            trial = waiting.pop(0)
            if not waiting:
                del self._asked[key]
            if reward is None:
                self.study.tell(trial, state=TrialState.FAIL)
            else:
                self.study.tell(trial, list(reward) if isinstance(reward, tuple) else reward)
            return
        if reward is None:
            return  # a failed trial this sampler never asked for teaches it nothing
        self._add_foreign(dna, reward)

    def _add_foreign(self, dna, reward) -> None:
        """A result this sampler did not propose (an edited history): add it as a finished trial."""
        optuna = self._optuna
        dist = optuna.distributions
        params, distributions = {}, {}
        for node in self.ops.active(dna.decisions):
            kind, pid, v = node.kind, node.id, dna.decisions[node.id]
            if kind == "oneof":
                params[pid], distributions[pid] = v, dist.CategoricalDistribution(list(range(node.n)))
            elif kind == "floatv" and node.lo < node.hi:
                params[pid], distributions[pid] = v, dist.FloatDistribution(node.lo, node.hi, log=node.log)
            elif kind == "intv" and node.count > 1:
                top = node.lo + node.step * (node.count - 1)
                if node.log and node.step != 1:
                    params[pid], distributions[pid] = float(v), dist.FloatDistribution(node.lo, top, log=True)
                else:
                    params[pid] = v
                    distributions[pid] = dist.IntDistribution(node.lo, top, step=node.step, log=node.log)
            elif kind in ("manyof", "permutate"):
                distinct = kind == "permutate" or node.distinct
                free = list(range(node.n))
                for j, c in enumerate(v):
                    name = f"{pid}[{j}]"
                    if distinct:
                        params[name] = free.index(c)
                        free.remove(c)
                        distributions[name] = dist.CategoricalDistribution(list(range(node.n - j)))
                    else:
                        params[name] = c
                        distributions[name] = dist.CategoricalDistribution(list(range(node.n)))
        values = list(reward) if isinstance(reward, tuple) else [reward]
        self.study.add_trial(optuna.trial.create_trial(params=params, distributions=distributions, values=values))

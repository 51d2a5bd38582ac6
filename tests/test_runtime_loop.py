"""sample(): feedback, skip, metrics, forgotten feedback, studies, early stopping."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3

import pytest

import glovec.runtime as gv
from glovec.runtime.algorithms import get_algorithm
from glovec.runtime.geno import DNASpec
from glovec.runtime.loop import NO_FEEDBACK, MedianStopping, SuccessiveHalving, sample
from glovec.runtime.study import Study

SPACE = {
    "glovec_space": 1,
    "source": "model.py",
    "objective": {"direction": "maximize", "line": 9, "col": 1},
    "metrics": [],
    "reports": [],
    "sites": [
        {"id": "units", "kind": "oneof", "candidates": ["64", "128", "256"], "default": 1, "repeat": 1},
        {"id": "lr", "kind": "floatv", "lo": 1e-4, "hi": 0.1, "scale": "log", "default": 0.001, "repeat": 1},
    ],
}


class Recording:
    """A real algorithm (random) wrapped to remember what the loop fed back."""

    def __init__(self, name="random", seed=0):
        self.inner = get_algorithm(name, seed=seed)
        self.proposed, self.fed = [], []

    def setup(self, spec):
        self.inner.setup(spec)

    def propose(self):
        dna = self.inner.propose()
        self.proposed.append(dna)
        return dna

    def feedback(self, dna, reward):
        self.fed.append((dna, reward))
        self.inner.feedback(dna, reward)

    def recover(self, history):
        self.inner.recover(history)


def test_rewards_reach_the_algorithm_and_ids_count_up():
    algo = Recording()
    ids = []
    for trial, feedback in sample(SPACE, algo, num_trials=6, seed=0):
        ids.append(trial.id)
        assert trial.decisions is trial.dna.decisions
        assert trial["units"] in (64, 128, 256) and trial.literal("units") in ("64", "128", "256")
        feedback(trial["units"] / 256)
    assert ids == [1, 2, 3, 4, 5, 6]
    assert [dna for dna, _ in algo.fed] == algo.proposed
    assert [r for _, r in algo.fed] == [int(d.to_dict(literal=True)["units"]) / 256 for d in algo.proposed]


def test_forgotten_feedback_fails_the_trial_and_moves_on():
    algo = Recording()
    study = Study.open(":memory:", SPACE)
    feedbacks = []
    for trial, feedback in sample(SPACE, algo, num_trials=4, seed=0, study=study):
        feedbacks.append(feedback)
        if trial.id != 2:
            feedback(0.5)
    assert len(algo.proposed) == 4  # never re-proposed, never stuck
    assert [r for _, r in algo.fed] == [0.5, None, 0.5, 0.5]
    failed = study.trials("failed")
    assert [t.id for t in failed] == [2] and failed[0].error == NO_FEEDBACK
    assert feedbacks[1].status == "failed"
    with pytest.raises(RuntimeError, match="trial 2 is already recorded as failed"):
        feedbacks[1](0.9)
    with pytest.raises(RuntimeError, match="already recorded as completed"):
        feedbacks[0](0.9)


def test_breaking_out_mid_trial_records_it_as_failed():
    study = Study.open(":memory:", SPACE)
    for trial, feedback in sample(SPACE, "random", num_trials=5, seed=0, study=study):
        if trial.id == 3:
            break
        feedback(1.0)
    assert study.counts()["completed"] == 2
    (t,) = study.trials("failed")
    assert t.id == 3 and "loop ended" in t.error
    assert gv.current() is None


def test_skip_records_the_reason_and_feeds_none():
    algo = Recording()
    study = Study.open(":memory:", SPACE)
    for trial, feedback in sample(SPACE, algo, num_trials=2, seed=0, study=study):
        feedback.skip("out of memory") if trial.id == 1 else feedback(0.1)
    assert [r for _, r in algo.fed] == [None, 0.1]
    assert study.trial(1).status == "failed" and study.trial(1).error == "skipped: out of memory"


def test_minimised_objective_is_negated_for_the_algorithm_only():
    algo = Recording()
    study = Study.open(":memory:", {**SPACE, "objective": {"direction": "minimize"}})
    for trial, feedback in sample(SPACE, algo, num_trials=3, seed=0, study=study):
        feedback(0.25)
    assert [r for _, r in algo.fed] == [-0.25] * 3
    assert [t.objective for t in study.trials("completed")] == [0.25] * 3


def test_metrics_name_the_objectives():
    algo = Recording()
    study = Study.open(":memory:", SPACE)
    it = sample(SPACE, algo, num_trials=2, seed=0, study=study, objectives=["acc"])
    for trial, feedback in it:
        feedback(metrics={"loss": 0.3, "acc": 0.8})
    assert [r for _, r in algo.fed] == [0.8, 0.8]
    assert study.trial(1).metrics == {"loss": 0.3, "acc": 0.8} and study.trial(1).objective == 0.8

    for trial, feedback in sample(SPACE, Recording(), num_trials=1, seed=0):
        with pytest.raises(ValueError, match="cannot tell which of the metrics"):
            feedback(metrics={"loss": 0.3, "acc": 0.8})
        feedback(metrics={"acc": 0.8})  # one metric, one direction: that is the objective


def test_several_objectives_give_tuple_rewards():
    algo = Recording("nsga2")
    seen = []
    for trial, feedback in sample(SPACE, algo, num_trials=3, seed=0, directions=("maximize", "minimize")):
        feedback(metrics={"acc": 0.9, "latency": 12.0})
        seen.append(feedback.objective)
    assert seen == [(0.9, 12.0)] * 3
    assert [r for _, r in algo.fed] == [(0.9, -12.0)] * 3
    for trial, feedback in sample(SPACE, "nsga2", num_trials=1, directions=("maximize", "minimize")):
        with pytest.raises(ValueError, match="one value; the search has 2 objectives"):
            feedback(0.5)
        feedback((0.5, 3))


def test_grid_ends_the_loop_when_exhausted():
    space = {"sites": [{"id": "a", "kind": "oneof", "candidates": ["1", "2", "3"]}]}
    got = []
    for trial, feedback in sample(space, "grid", num_trials=None):
        got.append(trial["a"])
        feedback(1.0)
    assert sorted(got) == [1, 2, 3]


def test_a_study_resumes_where_the_loop_stopped(tmp_path):
    path = tmp_path / "s.glovec.db"
    straight = [t.decisions for t, fb in _feed_all(sample(SPACE, "random", num_trials=8, seed=4))]

    with Study.open(path, SPACE) as study:
        first = []
        for trial, feedback in sample(SPACE, "random", num_trials=8, seed=4, study=study):
            first.append(trial.decisions)
            feedback(0.5)
            if len(first) == 5:
                break
    with Study.open(path, SPACE, resume=True) as study:
        rest = [t.decisions for t, fb in _feed_all(sample(SPACE, "random", num_trials=8, seed=4, study=study))]
        assert study.counts()["completed"] == 8
    assert first + rest == straight


def test_an_in_flight_trial_runs_again_with_the_same_dna(tmp_path):
    path = tmp_path / "s.glovec.db"
    with Study.open(path, SPACE) as study:
        tid = study.add_trial(DNASpec.from_space_doc(SPACE).default_dna(), status="running")
    with Study.open(path, SPACE, resume=True) as study:
        runs = [(t.id, dict(t.decisions)) for t, fb in _feed_all(sample(SPACE, "random", num_trials=3, study=study))]
        assert runs[0] == (tid, {"units": 1, "lr": 0.001})
        assert len(runs) == 3 and study.counts()["completed"] == 3


def _feed_all(it):
    for trial, feedback in it:
        yield trial, feedback
        if feedback.status is None:
            feedback(0.5)


# ---- early stopping --------------------------------------------------------------------------


def _curve(final, steps=9):
    """A learning curve rising towards ``final``."""
    return [(s, final * (s + 1) / steps) for s in range(steps)]


def _run_curves(policy, finals, study=None):
    """Run one trial per final value; each reports its curve until told to stop."""
    stopped_at = {}
    it = sample(SPACE, "random", num_trials=len(finals), seed=0, early_stopping=policy, study=study)
    for (trial, feedback), final in zip(it, finals):
        for step, value in _curve(final):
            if feedback.report(step, value):
                stopped_at[trial.id] = step
                break
        else:
            feedback(final)
    return stopped_at


@pytest.mark.parametrize("policy", [MedianStopping(min_trials=3), SuccessiveHalving(min_step=1, eta=3)],
                         ids=["median", "halving"])
def test_early_stopping_prunes_a_bad_curve_and_keeps_a_good_one(policy):
    study = Study.open(":memory:", SPACE)
    stopped = _run_curves(policy, [0.8, 0.85, 0.9, 0.2, 0.95, 0.3], study=study)
    assert set(stopped) == {4, 6}  # the two bad curves, trials 4 and 6
    statuses = {t.id: t.status for t in study.trials()}
    assert statuses == {1: "completed", 2: "completed", 3: "completed", 4: "pruned", 5: "completed", 6: "pruned"}
    assert study.trial(4).step == stopped[4]
    assert len(study.reports(5)) == 9  # the good one ran to the end


def test_early_stopping_follows_the_direction():
    losses = [2.0, 1.8, 1.9, 5.0]  # lower is better: the last curve is the bad one
    stopped = _run_curves(MedianStopping(min_trials=3), losses)
    assert stopped == {}  # maximize (the space's direction) sees the 5.0 curve as the best
    study = Study.open(":memory:", {**SPACE, "objective": {"direction": "minimize"}})
    stopped = _run_curves(MedianStopping(min_trials=3), losses, study=study)
    assert list(stopped) == [4]


def test_median_rule_waits_for_warmup_and_enough_trials():
    curves = [[(0, 0.5), (1, 0.6), (2, 0.7)]] * 3
    rule = MedianStopping(warmup_steps=2, min_trials=3)
    assert not rule.should_stop(1, 0.1, curves, own=[(0, 0.1), (1, 0.1)])  # warm-up
    assert rule.should_stop(2, 0.1, curves, own=[(0, 0.1), (1, 0.1), (2, 0.1)])
    assert not rule.should_stop(2, 0.1, curves[:2], own=[(2, 0.1)])  # only two finished trials
    # the trial's best so far counts, not its latest value
    assert not rule.should_stop(2, 0.1, curves, own=[(0, 0.9), (1, 0.2), (2, 0.1)])
    # curves that stopped before the step are left out
    assert not MedianStopping(min_trials=3).should_stop(5, 0.1, curves, own=[])


def test_successive_halving_judges_each_rung_once():
    sh = SuccessiveHalving(min_step=1, eta=3)
    assert sh.rungs(30) == [1, 3, 9, 27]
    curves = [[(1, v), (3, v)] for v in (0.1, 0.5, 0.9, 0.7, 0.3)]
    # rung 3 holds 0.1 .. 0.9 and the newcomer: the top 6 // 3 = 2 values go on
    assert not sh.should_stop(3, 0.95, curves, own=[(1, 0.2), (3, 0.95)])
    assert sh.should_stop(3, 0.6, curves, own=[(1, 0.2), (3, 0.6)])
    # step 4 is past rung 3 but rung 3 was judged at step 3
    assert not sh.should_stop(4, 0.0, curves, own=[(1, 0.2), (3, 0.95), (4, 0.0)])
    # too few values at a rung: everyone goes on
    assert not sh.should_stop(3, 0.0, curves[:1], own=[(3, 0.0)])
    assert SuccessiveHalving(direction="minimize").should_stop(3, 0.95, curves, own=[(3, 0.95)])


def test_policies_read_the_running_trials_reports_without_own():
    rule = MedianStopping(min_trials=1)
    finished = [[(0, 0.5), (1, 0.5)]]  # one finished trial: the median is 0.5 at every step
    gv.activate({}, should_stop=lambda step, value: rule.should_stop(step, value, finished))
    try:
        assert gv.report(0.9, step=0) == 0.9  # best so far 0.9 beats the median 0.5
        # 0.1 alone is below the median, but the rule reads this trial's reports (hyper.current())
        # and its best so far is still 0.9: the trial goes on
        assert gv.report(0.1, step=1) == 0.1
        assert gv.current().reports == [(0, 0.9), (1, 0.1)]
    finally:
        gv.deactivate()
    gv.activate({}, should_stop=lambda step, value: rule.should_stop(step, value, finished))
    try:  # a trial whose best is below the median is stopped, with the step and value it saw
        with pytest.raises(gv.TrialPruned, match=r"^pruned at step 0 \(value 0\.1\)$"):
            gv.report(0.1, step=0)
    finally:
        gv.deactivate()


def test_runtime_report_inside_the_loop_reaches_the_policy_and_the_study():
    study = Study.open(":memory:", SPACE)
    pruned = []
    finals = [0.8, 0.85, 0.9, 0.1]
    for (trial, feedback), final in zip(sample(SPACE, "random", num_trials=4, seed=0, study=study,
                                               early_stopping=MedianStopping(min_trials=3)), finals):
        try:
            for step, value in _curve(final):
                gv.report(value, step=step)  # what a Keras callback or a converted program calls
        except gv.TrialPruned:
            pruned.append(trial.id)
            continue
        feedback(final)
    assert pruned == [4] and study.trial(4).status == "pruned"
    assert len(study.reports(1)) == 9


def test_nan_objective_fails_the_trial():
    algo = Recording()
    study = Study.open(":memory:", SPACE)
    for trial, feedback in sample(SPACE, algo, num_trials=1, study=study):
        feedback(float("nan"))
    assert study.trial(1).status == "failed" and study.trial(1).error == "the objective is not a finite number (nan)"
    assert algo.fed[0][1] is None


@pytest.mark.parametrize("algorithm", ["random", "evolution", "hillclimb", "tpe", "nsga2", "grid"])
def test_every_algorithm_drives_a_hand_written_space(algorithm):
    space = gv.Space(
        model=gv.oneof([{"units": gv.oneof([1, 2, 3])}, {"depth": gv.intv(1, 3)}, "linear"]),
        width=gv.custom(lambda rng: rng.choice([8, 16]), domain=[8, 16]),
        ops=gv.manyof(2, ["a", "b", "c", "d"], sorted=True),
        **({} if algorithm == "grid" else {
            "lr": gv.floatv(0.01, 1.0, scale="log"),
            "shape": gv.custom(lambda rng: [rng.randint(1, 4)], default=[1]),
        }),
    )
    spec = space.to_spec()
    directions = ("maximize", "minimize") if algorithm == "nsga2" else ("maximize",)
    seen = []
    for trial, feedback in sample(space, algorithm, num_trials=30, seed=2, directions=directions):
        assert gv.DNA(spec, trial.decisions) == trial.dna  # legal, conditional points included
        values = space.materialize()
        assert values == space.materialize(trial.dna)
        score = values["width"] + (values["model"].get("units", 0) if isinstance(values["model"], dict) else 0)
        seen.append(trial.dna)
        feedback((score, len(values["ops"])) if algorithm == "nsga2" else score)
    assert len(set(seen)) > 5


def test_policies_survive_pickling_for_process_workers():
    import pickle

    for policy in (MedianStopping(warmup_steps=2, min_trials=4, direction="minimize"),
                   SuccessiveHalving(min_step=2, eta=4)):
        again = pickle.loads(pickle.dumps(policy))
        assert repr(again) == repr(policy)
        curves = [[(2, v), (8, v)] for v in (0.1, 0.2, 0.3, 0.4)]
        for step, value in [(2, 0.05), (2, 0.5), (8, 0.05), (8, 0.5)]:
            assert again.should_stop(step, value, curves, own=[(step, value)]) == \
                policy.should_stop(step, value, curves, own=[(step, value)])


def test_study_and_policy_by_name(tmp_path):
    path = tmp_path / "runs.glovec.db"
    space = gv.Space(units=gv.oneof([64, 128, 256]), lr=gv.floatv(0.001, 0.1, scale="log"))
    for _ in range(2):  # the second loop continues the same file
        for trial, feedback in sample(space, "random", num_trials=3 if _ == 0 else 5, seed=0, study=str(path),
                                      directions="minimize", early_stopping="median"):
            feedback(trial["lr"])
    with Study.load(path) as study:
        assert study.counts()["completed"] == 5 and study.directions == ("minimize",)
        assert study.best(1)[0].objective == min(t.objective for t in study.trials())
    with pytest.raises(ValueError, match="unknown early-stopping policy 'patience'"):
        sample(space, "random", early_stopping="patience")


# ---- one loop, three doors --------------------------------------------------------------------

ONE_LOOP_PROGRAM = """\
x = 3  # glovec: oneof([1, 2, 3, 4, 5])
lr = 0.5  # glovec: floatv(0.0, 1.0)
for epoch in range(9):
    acc = (x + lr) * (epoch + 1) / 9  # glovec: report(step=epoch)
score = x + lr  # glovec: objective
"""


def _study_rows(path):
    with Study.load(str(path)) as study:
        return [(t.id, t.status, t.decisions, t.objective, t.step, t.error) for t in study.trials()]


def test_one_seed_gives_the_same_trials_through_run_gen_and_sample(tmp_path):
    """`glovec run`, `python gen.py` and `sample()` are one loop: with early stopping on, the same
    seed proposes the same decisions, prunes the same trials at the same steps, records the same
    objectives."""
    import os
    import subprocess
    import sys

    from glovec.cli import main
    from glovec.compiler import compile_source

    model = tmp_path / "model.py"
    model.write_text(ONE_LOOP_PROGRAM)
    trials, seed = 30, 5
    # door 1: glovec run
    assert main(["run", str(model), "--algorithm", "evolution", "--trials", str(trials), "--seed",
                 str(seed), "--early-stopping", "halving", "--study", str(tmp_path / "run.db")]) == 0
    # door 2: the converted program run as a script
    gen = tmp_path / "gen.py"
    assert main(["convert", str(model), "-o", str(gen)]) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOVEC_")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env.update(PYTHONPATH=root, GLOVEC_ALGORITHM="evolution", GLOVEC_TRIALS=str(trials),
               GLOVEC_SEED=str(seed), GLOVEC_EARLY_STOPPING="halving",
               GLOVEC_STUDY=str(tmp_path / "gen.db"))
    proc = subprocess.run([sys.executable, str(gen)], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # door 3: sample(), the program's body written as the loop's body
    space = compile_source(model.read_bytes(), str(model)).space_doc
    for trial, feedback in sample(space, "evolution", num_trials=trials, seed=seed,
                                  early_stopping="halving", study=str(tmp_path / "sample.db")):
        x, lr = trial["x"], trial["lr"]
        try:
            for epoch in range(9):
                gv.report((x + lr) * (epoch + 1) / 9, step=epoch)
        except gv.TrialPruned:
            continue
        feedback(x + lr)

    run, gen_rows, sampled = (_study_rows(tmp_path / f"{d}.db") for d in ("run", "gen", "sample"))
    assert run == gen_rows == sampled
    statuses = [r[1] for r in run]
    assert len(run) == trials and statuses.count("pruned") >= 3 and "failed" not in statuses
    pruned = [r for r in run if r[1] == "pruned"]
    # halving judges at rungs 1 and 3; the reason says where and what a user's curve showed
    assert {r[4] for r in pruned} <= {1, 3}
    assert all(r[5].startswith(f"pruned at step {r[4]} (value ") for r in pruned)


# ---- objectives that are not finite numbers ---------------------------------------------------


@pytest.mark.parametrize("objective, reason", [
    (10**400, "the objective is not a finite number (an integer of 401 digits, beyond a float's range)"),
    (float("inf"), "the objective is not a finite number (inf)"),
    (float("-inf"), "the objective is not a finite number (-inf)"),
    (float("nan"), "the objective is not a finite number (nan)"),
], ids=["10**400", "inf", "-inf", "nan"])
def test_an_objective_that_is_not_finite_fails_its_trial_and_the_search_goes_on(tmp_path, capsys, objective,
                                                                                  reason):
    """`glovec run` records the trial as failed with the reason (before: 10**400 crashed the search
    with OverflowError, leaving the trial running; inf became the best trial and `report --json`
    printed a bare Infinity)."""
    import json

    from glovec.cli import main

    model = tmp_path / "model.py"
    model.write_text("x = 1  # glovec: oneof([1, 2])\n"
                     f"score = {objective!r} if x == 1 else float(x)  # glovec: objective\n"
                     .replace("inf", "float('inf')").replace("nan", "float('nan')"))
    db = tmp_path / "s.db"
    assert main(["run", str(model), "--algorithm", "grid", "--trials", "2", "--study", str(db)]) == 0
    with Study.load(str(db)) as study:
        assert [(t.status, t.error) for t in study.trials()] == [("failed", reason), ("completed", None)]
    capsys.readouterr()
    assert main(["report", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert report["best"] == 2 and [t["objective"] for t in report["trials"]] == [None, 2.0]


@pytest.mark.parametrize("objective", [10**400, float("inf"), (0.5, float("-inf"))],
                         ids=["10**400", "inf", "pair-with--inf"])
def test_sample_fails_a_trial_whose_objective_is_not_finite(objective):
    algo = Recording("nsga2" if isinstance(objective, tuple) else "random")
    study = Study.open(":memory:", SPACE)
    directions = ("maximize",) * (len(objective) if isinstance(objective, tuple) else 1)
    for trial, feedback in sample(SPACE, algo, num_trials=2, study=study, directions=directions):
        feedback(objective if trial.id == 1 else (0.5,) * len(directions) if len(directions) > 1 else 0.5)
    assert study.trial(1).status == "failed" and "not a finite number" in study.trial(1).error
    assert study.trial(2).status == "completed"
    assert algo.fed[0][1] is None


# ---- resuming from the algorithm's checkpoint ---------------------------------------------------

from glovec.runtime.algorithms.grid import GridSearch  # noqa: E402
from glovec.runtime.algorithms.random_search import RandomSearch  # noqa: E402


class CountingRandom(RandomSearch):
    made: list = []  # proposals actually computed, across instances

    def _propose(self):
        CountingRandom.made.append(1)
        return super()._propose()


class CountingGrid(GridSearch):
    made: list = []

    def _propose(self):
        CountingGrid.made.append(1)
        return super()._propose()


@pytest.mark.parametrize("algorithm, total", [(CountingRandom, 20), (CountingGrid, 14)], ids=["random", "grid"])
def test_resume_continues_from_the_checkpoint_exactly_without_replaying(tmp_path, algorithm, total):
    path = tmp_path / "s.glovec.db"
    straight = [t.decisions for t, fb in _feed_all(sample(SPACE, algorithm, num_trials=total, seed=3))]

    def session(n, stop_at=None):
        algorithm.made.clear()
        with Study.open(path, SPACE, resume=True) as study:
            for trial, feedback in sample(SPACE, algorithm, num_trials=n, seed=3, study=study):
                if trial.id == stop_at:
                    break  # the loop ends during this trial (recorded as failed; proposed once)
                feedback(0.5)
            return len(algorithm.made), study.checkpoint()

    made, first = session(5)
    assert made == 5 and first["last_id"] == 5 and first["pending"] == []
    made, _ = session(9, stop_at=8)  # a driver stopped in the middle of trial 8
    assert made == 3  # trials 6, 7, 8: nothing of the first five was proposed again
    made, _ = session(total - 3)
    assert made == total - 3 - 8
    # A driver killed before it could leave its checkpoint: the next one continues from the last
    # checkpoint there is and replays only the trials recorded after it.
    with Study.open(path, SPACE, resume=True) as study:
        study.save_checkpoint(first)
    made, _ = session(total)
    assert made == (total - 3 - 5) + 3  # trials 6 to total-3 replayed, then 3 new ones
    with Study.load(path) as study:
        assert [t.decisions for t in study.trials()] == straight


def test_a_checkpoint_of_another_seed_or_configuration_is_not_used(tmp_path):
    path = tmp_path / "s.glovec.db"
    with Study.open(path, SPACE) as study:
        list(_feed_all(sample(SPACE, CountingRandom, num_trials=4, seed=1, study=study)))
    CountingRandom.made.clear()
    with Study.open(path, SPACE, resume=True) as study:  # another seed: the history is replayed
        with pytest.warns(RuntimeWarning, match=r"left by .*CountingRandom \(seed 1\).*replaying its 4 trials"):
            list(_feed_all(sample(SPACE, CountingRandom, num_trials=6, seed=2, study=study)))
    assert len(CountingRandom.made) == 4 + 2
    with Study.open(path, SPACE, resume=True) as study:
        study.save_checkpoint({**study.checkpoint(), "state": {"rng": [3, [1, 2], None]}})  # edited
        CountingRandom.made.clear()
        with pytest.warns(RuntimeWarning, match="damaged or does not fit"):
            list(_feed_all(sample(SPACE, CountingRandom, num_trials=7, seed=2, study=study)))
    assert len(CountingRandom.made) == 6 + 1


# Every built-in algorithm that keeps a checkpoint, with small settings so that a short run
# exercises its whole state (populations turned over, generations closed, a PPO batch under way).
RESUMABLE = {
    "random": {}, "grid": {}, "evolution": {"population_size": 5, "tournament_size": 3},
    "hillclimb": {"patience": 3}, "tpe": {"n_startup_trials": 4}, "nsga2": {"population_size": 4},
    "ppo": {"batch_size": 3, "epochs": 2}, "reinforce": {},
}
MADE: list = []  # names of the algorithms whose proposals were computed, one entry a proposal


def _counting(name: str, options: dict) -> type:
    """The named algorithm with ``options``, counting the proposals it computes (not replays)."""
    from glovec.runtime.algorithms import get_algorithm

    base = type(get_algorithm(name))

    def __init__(self, seed=None):
        base.__init__(self, seed=seed, **options)

    def _propose(self):
        MADE.append(name)
        return base._propose(self)

    return type(f"Counting_{name}", (base,), {"__init__": __init__, "_propose": _propose,
                                               "__qualname__": f"Counting_{name}", "__module__": __name__})


COUNTING = {name: _counting(name, options) for name, options in RESUMABLE.items()}


def _score(trial) -> float:
    return trial["units"] / 256 - abs(math.log10(trial["lr"]) + 2.0)


def _session(path, name, n, stop_at=None, skip=()):
    """One driver: run the study at ``path`` up to ``n`` trials; break out during ``stop_at``
    (recorded as failed); ``skip`` trials get no reward; every fifth is infeasible."""
    MADE.clear()
    with Study.open(path, SPACE, resume=True) as study:
        for trial, feedback in sample(SPACE, COUNTING[name], num_trials=n, seed=3, study=study):
            if trial.id == stop_at:
                break
            if trial.id in skip:
                feedback.skip()
            else:
                feedback(_score(trial), metrics={"feasible": trial.id % 5 != 0})
        return len(MADE), study.checkpoint()


def _decisions(path) -> list:
    with Study.load(path) as study:
        return [t.decisions for t in study.trials()]


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_each_algorithm_resumes_exactly_from_its_checkpoint_without_replaying(tmp_path, name):
    total = 14 if name == "grid" else 30  # the grid of SPACE has 15 points
    half = total // 2
    straight = tmp_path / "straight.db"
    _session(straight, name, total, skip={half + 3})
    path = tmp_path / "s.db"
    made, first = _session(path, name, half)
    assert made == half and first["last_id"] == half
    made, _ = _session(path, name, half + 4, stop_at=half + 3)  # a driver stopped during a trial
    assert made == 3  # nothing of the first half was proposed again
    made, _ = _session(path, name, total)
    assert made == total - half - 3
    assert _decisions(path) == _decisions(straight)
    # A driver killed after its checkpoint (here: the first one) and before the next: the next
    # driver restores the old checkpoint and replays only the trials recorded after it.
    again = tmp_path / "again.db"
    _session(again, name, half)
    with Study.open(again, SPACE, resume=True) as study:
        old = study.checkpoint()
    _session(again, name, half + 4, stop_at=half + 3)
    _session(again, name, total - 2)
    with Study.open(again, SPACE, resume=True) as study:
        study.save_checkpoint(old)
    made, _ = _session(again, name, total)
    assert made == (total - 2 - half) + 2  # trials half+1 .. total-2 replayed, then two new ones
    assert _decisions(again) == _decisions(straight)


def _damage(state: dict, name: str) -> list:
    """Ways to spoil a checkpoint's state, each (what, edited state)."""
    out = [("rng", {**state, "rng": [3, [1, 2], None]}), ("options", {**state, "options": {"x": 1}}),
           ("not a dict", [1, 2])]
    if "seen" in state:
        out.append(("keys", {**state, "seen": "not base64!"}))
    if "population" in state:
        out.append(("member", {**state, "population": [[{"units": 7, "lr": 0.5}, 1.0]]}))
    if "controller" in state:
        out.append(("policy", {**state, "controller": {**state["controller"], "slots": {}}}))
    if "digest" in state:
        out.append(("observations", {**state, "digest": "0" * 32}))
    return out


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_a_damaged_or_foreign_checkpoint_is_said_and_the_history_replayed(tmp_path, name):
    total = 14 if name == "grid" else 20
    straight = tmp_path / "straight.db"
    _session(straight, name, total)
    path = tmp_path / "s.db"
    _session(path, name, 10)
    with Study.open(path, SPACE, resume=True) as study:
        good = study.checkpoint()
    for what, state in _damage(good["state"], name):
        copy = tmp_path / f"{what}.db"
        shutil.copyfile(path, copy)
        with Study.open(copy, SPACE, resume=True) as study:
            study.save_checkpoint({**good, "state": state})
        with pytest.warns(RuntimeWarning, match="checkpoint of the algorithm is not used .* replaying its 10 trials"):
            made, _ = _session(copy, name, total)
        assert made == total, what  # every trial proposed again: the first ten replayed
        assert _decisions(copy) == _decisions(straight), what
    # Not JSON at all, and a checkpoint left by another algorithm: the same.
    for what, text in [("text", "{not json"), ("foreign", json.dumps({**good, "algorithm": "x.Other"}))]:
        copy = tmp_path / f"{what}.db"
        shutil.copyfile(path, copy)
        con = sqlite3.connect(copy)
        con.execute("UPDATE meta SET value = ? WHERE key = 'checkpoint'", (text,))
        con.commit()
        con.close()
        with pytest.warns(RuntimeWarning, match="not used"):
            made, _ = _session(copy, name, total)
        assert made == total and _decisions(copy) == _decisions(straight), what


def test_an_unseeded_resume_continues_a_seeded_checkpoint(tmp_path):
    import warnings

    path = tmp_path / "s.db"
    _session(path, "evolution", 6)
    MADE.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "checkpoint not used" warning
        with Study.open(path, SPACE, resume=True) as study:
            for trial, feedback in sample(SPACE, COUNTING["evolution"], num_trials=9, study=study):
                feedback(_score(trial))
    assert len(MADE) == 3  # restored, not replayed

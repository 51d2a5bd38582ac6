"""Optuna samplers as glovec algorithms (skipped when Optuna is not installed)."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from glovec.runtime.algorithms import get_algorithm  # noqa: E402

from test_algorithms import MIXED, QUALITY, quality_objective, run  # noqa: E402


def setup(name, spec=MIXED, seed=0, **options):
    algo = get_algorithm(name, seed=seed, **options)
    algo.setup(spec)
    return algo


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("name", ["optuna", "optuna:TPESampler", "optuna:RandomSampler", "optuna:QMCSampler"])
def test_proposals_are_legal_and_reach_the_study(name):
    algo = setup(name)
    history = run(algo, 30, fail_every=6)
    for dna, _ in history:
        assert list(MIXED.validate(dna.decisions).items()) == list(dna.decisions.items())
    states = [t.state for t in algo.study.trials]
    assert len(states) == 30
    assert states.count(optuna.trial.TrialState.FAIL) == 5
    assert states.count(optuna.trial.TrialState.COMPLETE) == 25
    # conditional points are suggested only when active (define-by-run)
    for trial, (dna, _) in zip(algo.study.trials, history):
        assert ("act[=2].lr" in trial.params) == ("act[=2].lr" in dna.decisions)


def test_default_is_tpe_and_sampler_names_resolve():
    assert isinstance(setup("optuna").study.sampler, optuna.samplers.TPESampler)
    assert isinstance(setup("optuna:CmaEsSampler").study.sampler, optuna.samplers.CmaEsSampler)
    with pytest.raises(ValueError, match="RandomSampler"):
        setup("optuna:NoSuchSampler")


@pytest.mark.parametrize("name", ["optuna", "optuna:RandomSampler"])
def test_recovered_from_first_100_of_200_proposes_the_same_next(name):
    history = run(setup(name, seed=3), 200, fail_every=7)
    recovered = setup(name, seed=3)
    recovered.recover(history[:100])
    for dna, reward in history[100:]:
        assert recovered.propose() == dna
        recovered.feedback(dna, reward)


def test_results_it_did_not_propose_become_finished_trials():
    algo = setup("optuna", seed=1)
    foreign = MIXED.default_dna()
    algo.feedback(foreign, 2.5)
    (trial,) = algo.study.trials
    assert trial.state == optuna.trial.TrialState.COMPLETE and trial.value == 2.5
    assert trial.params["act"] == foreign.decisions["act"]


def test_multi_objective_study():
    algo = setup("optuna:NSGAIISampler", objectives=2, sampler_options={"population_size": 8})
    assert algo.multi_objective
    run(algo, 20)
    assert len(algo.study.best_trials) >= 1


def test_optuna_tpe_beats_random_on_average():
    def best(name, seed):
        algo = setup(name, spec=QUALITY, seed=seed)
        out = float("-inf")
        for _ in range(60):
            dna = algo.propose()
            value = quality_objective(dna)
            algo.feedback(dna, value)
            out = max(out, value)
        return out

    seeds = range(4)
    assert sum(best("optuna", s) for s in seeds) > sum(best("optuna:RandomSampler", s) for s in seeds)

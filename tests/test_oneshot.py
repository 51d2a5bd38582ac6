"""One-shot search (`glovec run --one-shot`) on tiny PyTorch programs: which parameters a spos
step trains, darts architecture weights and `materialize --best`, resuming a killed search from
the supernet checkpoint, and what a user sees (`glovec report`). The diagnostics GV512-GV516 are
checked by tests/test_run_codes.py through their catalogue examples."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from conftest import completed_trials, kill_after_completed  # noqa: E402
from glovec.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

GRADS = """\
import json, os
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(48, 4)
y = x.sum(dim=1, keepdim=True)
block = nn.Identity()  # glovec: oneof([nn.Linear(8, 8), nn.Sequential(nn.Linear(8, 8), nn.Tanh()), nn.Identity()])
model = nn.Sequential(nn.Linear(4, 8), block, nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
seen = []
for step in range(9):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    seen.append([any(p.grad is not None for p in o.parameters()) for o in model[1].options[:2]])
    optimizer.step()
score = -loss_fn(model(x), y).item()  # glovec: objective
with open(os.environ["GRADS_OUT"], "w") as fh:
    json.dump(seen, fh)
"""


def _run(tmp_path, program: str, *args) -> tuple[int, Path, Path]:
    src, study = tmp_path / "model.py", tmp_path / "model.glovec.db"
    src.write_text(program)
    status = main(["run", str(src), "--study", str(study), *map(str, args)])
    return status, src, study


def test_spos_single_path_trains_only_the_active_candidate(tmp_path, monkeypatch, capsys):
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SPLIT", "0")  # one path per step, not per batch slice
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", "0")  # sampled steps only
    status, _, _ = _run(tmp_path, GRADS, "--one-shot", "spos", "--trials", "3", "--seed", "1")
    assert status == 0, capsys.readouterr().err
    seen = json.loads(out.read_text())
    assert all(sum(step) <= 1 for step in seen), seen  # never two candidates in one step
    # Fair paths: each of the 3 candidates is active in 3 of the 9 steps (Identity has no weights).
    assert [sum(step[i] for step in seen) for i in (0, 1)] == [3, 3], seen


def test_spos_batch_slices_train_every_candidate_each_step(tmp_path, monkeypatch, capsys):
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    status, _, _ = _run(tmp_path, GRADS, "--one-shot", "spos", "--trials", "3")
    assert status == 0, capsys.readouterr().err
    assert json.loads(out.read_text()) == [[True, True]] * 9


SIZES = GRADS.replace("seen = []\n", """seen = []
sizes = []
for option in model[1].options:
    option.register_forward_hook(lambda m, args, out: sizes[-1].append(args[0].shape[0]))
""").replace("for step in range(9):\n", "for step in range(9):\n    sizes.append([])\n").replace(
    "json.dump(seen, fh)", "json.dump(sizes, fh)")


@pytest.mark.parametrize("split", ["1", "0"])
def test_sandwich_steps_run_every_candidate_on_the_whole_batch(tmp_path, monkeypatch, capsys, split):
    out = tmp_path / "sizes.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SPLIT", split)
    status, _, _ = _run(tmp_path, SIZES, "--one-shot", "spos", "--trials", "2")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "every other step runs all candidates, averaged" in err
    sizes = json.loads(out.read_text())
    # Even steps: all three candidates see the 48 examples; odd steps: batch slices of 16, one
    # per candidate (or, without slices, one candidate on the whole batch).
    # The first forward also runs each candidate once to compare their output shapes; the last
    # step's list goes on with the program's objective and the evaluations after training.
    sampled = [16, 16, 16] if split == "1" else [48]
    assert sizes[0] == [48] * 6 and sizes[8][:3] == [48] * 3, sizes
    assert sizes[1:8] == [[48, 48, 48] if step % 2 == 0 else sampled for step in range(1, 8)], sizes


@pytest.mark.parametrize("sandwich", ["1", "0"])
def test_darts_alternates_its_mixture_with_sampled_slices(tmp_path, monkeypatch, capsys, sandwich):
    """darts: even steps run the softmax mixture (every candidate on the whole batch), odd steps
    sampled paths on batch slices as spos' do; GLOVEC_ONE_SHOT_SANDWICH=0: the mixture always."""
    out = tmp_path / "sizes.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", sandwich)
    status, _, study = _run(tmp_path, SIZES, "--one-shot", "darts", "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert ("every other step runs one path per batch slice" in err) == (sandwich == "1")
    sizes = json.loads(out.read_text())
    assert sizes[0] == [48] * 6, sizes  # the shape check, then the mixture
    sampled = [16, 16, 16] if sandwich == "1" else [48, 48, 48]
    assert sizes[1:8] == [[48, 48, 48] if step % 2 == 0 else sampled for step in range(1, 8)], sizes
    probs = torch.load(f"{study}.oneshot.pt", weights_only=False)["alphas"]["block"]
    assert probs.abs().sum() > 0  # the architecture weights moved on the mixture steps


def test_without_the_sandwich_every_step_is_sampled(tmp_path, monkeypatch, capsys):
    out = tmp_path / "sizes.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", "0")
    status, _, _ = _run(tmp_path, SIZES, "--one-shot", "spos", "--trials", "2")
    assert status == 0, capsys.readouterr().err
    sizes = json.loads(out.read_text())
    assert sizes[0] == [48, 48, 48, 16, 16, 16] and sizes[1:8] == [[16, 16, 16]] * 7, sizes


def test_spos_lists_sites_records_estimates_and_materializes(tmp_path, capsys):
    program = GRADS.replace("optimizer = torch.optim.SGD(model.parameters(), lr=0.05)",
                            "optimizer = torch.optim.SGD(model.parameters(), lr=0.05)  "
                            "# glovec: lr=oneof([0.05, 0.1])")
    program = program.replace('with open(os.environ["GRADS_OUT"], "w") as fh:\n    json.dump(seen, fh)\n', "")
    status, src, study = _run(tmp_path, program, "--one-shot", "spos", "--trials", "3", "--seed", "0",
                              "--enqueue", '{"SGD.lr": 0.1}')
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "spos search: tpe; its first estimate is the program's own architecture" in captured.err
    assert "enqueued point 1: SGD.lr keep(s) the default in one-shot mode" in captured.err
    assert "enqueued architecture" not in captured.err  # the point is the default architecture
    assert re.search(r"block +searched, shared weights \(3 candidates, 1 instance\(s\)\)", captured.err)
    assert re.search(r"SGD.lr +fixed at its default \(plain values are not shared\)", captured.err)
    assert main(["report", str(study), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    done = [t for t in report["trials"] if t["status"] == "completed"]
    assert len(done) == 3 and all(t["estimate"] is True for t in done)
    assert all(t["metrics"]["glovec.one_shot"] == "spos" for t in done)
    assert {t["decisions"]["SGD.lr"] for t in done} == {"0.05"}  # fixed sites keep defaults
    assert main(["report", str(study)]) == 0
    assert "one-shot estimates (spos)" in capsys.readouterr().out
    best = next(t for t in done if t["id"] == report["best"])
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    code = capsys.readouterr().out
    assert f"block = {best['decisions']['block']}  # glovec:" in code and "_gv" not in code


@pytest.mark.parametrize("algorithm", ["evolution", "random"])
def test_spos_search_estimates_the_programs_own_architecture_then_enqueued_points(
        tmp_path, capsys, algorithm):
    """Whatever the algorithm, the search phase's first estimate is the program's default
    architecture (the pick is never estimated below it), then ``--enqueue``'s points, and no
    architecture is estimated twice."""
    program = GRADS.replace('with open(os.environ["GRADS_OUT"], "w") as fh:\n    json.dump(seen, fh)\n', "")
    tanh = "nn.Sequential(nn.Linear(8, 8), nn.Tanh())"
    status, _, study = _run(tmp_path, program, "--one-shot", "spos", "--trials", "9", "--seed", "3",
                            "--algorithm", algorithm, "--enqueue", json.dumps({"block": tanh}),
                            "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert f"spos search: {algorithm}; its first estimate is the program's own architecture" in err
    assert "1 enqueued architecture(s) estimated first, after the program's own architecture" in err
    assert main(["report", str(study), "--json"]) == 0
    trials = sorted(json.loads(capsys.readouterr().out)["trials"], key=lambda t: t["id"])
    assert [t["decisions"]["block"] for t in trials[:2]] == ["nn.Identity()", tanh]
    # No cell is estimated twice: the third candidate, then proposals already estimated (the
    # algorithm is told their estimates) until the search gives up on them.
    assert len(trials) == 3 and trials[2]["decisions"]["block"] == "nn.Linear(8, 8)"
    assert "spos search: stopped after 3 estimates: the last 100 proposals had all been estimated" in err


def test_enas_estimates_enqueued_points_before_its_policys(tmp_path, capsys):
    program = DARTS.replace("nn.Sequential(nn.Identity(), head)", "nn.Sequential(nn.Linear(4, 4), head)")
    status, _, study = _run(tmp_path, program, "--one-shot", "enas", "--trials", "2", "--seed", "0",
                            "--enqueue", '[{"head": "nn.Linear(4, 1)"}, {"head": "nn.Linear(4, 1)"}]',
                            "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "enas search: its first estimate is the program's own architecture" in err
    assert "enas search: 1 enqueued architecture(s) estimated first, after the program's own" in err
    assert main(["report", str(study), "--json"]) == 0
    trials = sorted(json.loads(capsys.readouterr().out)["trials"], key=lambda t: t["id"])
    assert [t["decisions"]["head"] for t in trials] == ["Mean()", "nn.Linear(4, 1)"]  # no draw left


def test_darts_estimates_enqueued_points_after_its_argmax(tmp_path, capsys):
    status, _, study = _run(tmp_path, DARTS, "--one-shot", "darts", "--enqueue", '{"head": "Mean()"}',
                            "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "darts search: 1 enqueued architecture(s) estimated after its argmax" in err
    assert main(["report", str(study), "--json"]) == 0
    trials = sorted(json.loads(capsys.readouterr().out)["trials"], key=lambda t: t["id"])
    assert [t["decisions"]["head"] for t in trials] == ["nn.Linear(4, 1)", "Mean()"]


def test_flow_flags_that_one_shot_cannot_honour_are_refused_before_training(tmp_path, capsys):
    status, _, study = _run(tmp_path, DARTS, "--one-shot", "spos", "--only", "arch")
    assert status == 2
    assert "--only does not go with --one-shot" in capsys.readouterr().err
    status, src, study = _run(tmp_path, DARTS, "--one-shot", "spos", "--enqueue", '{"head": "Max()"}')
    err = capsys.readouterr().err
    assert status == 1 and f"{src}:1:1: GV703 enqueued point 1:" in err and "Max()" in err
    assert "one-shot spos:" not in err and not os.path.exists(f"{study}.oneshot.pt")  # no training


DARTS = """\
import torch
from torch import nn


class Mean(nn.Module):
    def forward(self, x):
        return x.mean(dim=1, keepdim=True)


torch.manual_seed(0)
x = torch.randn(128, 4)
y = 3 * x[:, :1] - x[:, 1:2]
head = Mean()  # glovec: oneof([nn.Linear(4, 1), Mean()])
model = nn.Sequential(nn.Identity(), head)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
for step in range(80):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
score = -loss_fn(model(x), y).item()  # glovec: objective
"""


def test_darts_weights_move_and_their_argmax_is_materialized(tmp_path, capsys):
    status, src, study = _run(tmp_path, DARTS, "--one-shot", "darts", "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (trial,) = report["trials"]  # darts records its argmax only
    probs = trial["metrics"]["glovec.alpha"]["head"]
    assert probs[0] > 0.55 > probs[1], probs  # moved from uniform, towards the linear layer
    assert trial["decisions"]["head"] == "nn.Linear(4, 1)" and trial["estimate"] is True
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    assert "head = nn.Linear(4, 1)  # glovec:" in capsys.readouterr().out


SLOW = """\
import os, time
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(64, 4)
y = x.sum(dim=1, keepdim=True)
act = nn.ReLU()  # glovec: oneof([nn.ReLU(), nn.Tanh(), nn.Identity(), nn.Sigmoid()])
model = nn.Sequential(nn.Linear(4, 8), act, nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()


def evaluate():
    time.sleep(0.4)
    with torch.no_grad():
        return -loss_fn(model(x), y).item()


def main():
    for step in range(30):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with open(os.environ["STEPS_OUT"], "a") as fh:
            fh.write("s")
    score = evaluate()  # glovec: objective


main()
"""


def test_a_killed_search_resumes_from_the_checkpoint_without_training(tmp_path):
    src, study, steps = tmp_path / "model.py", tmp_path / "s.db", tmp_path / "steps"
    src.write_text(SLOW)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STEPS_OUT": str(steps)}
    cmd = [sys.executable, "-m", "glovec.cli", "run", str(src), "--one-shot", "spos",
           "--trials", "4", "--study", str(study), "--seed", "0", "--finalists", "0"]
    kept = kill_after_completed(cmd, env, study, 2)
    assert 2 <= kept < 4
    assert Path(f"{study}.oneshot.pt").exists()
    trained = len(steps.read_text())
    assert trained == 30
    again = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert "resuming from" in again.stderr and "no training" in again.stderr
    assert len(steps.read_text()) == trained  # not one more optimizer step
    assert completed_trials(study) == 4  # every candidate, each estimated once


def test_a_converted_program_runs_one_shot_from_the_environment(tmp_path, capsys):
    src, gen, study = tmp_path / "model.py", tmp_path / "model_search.py", tmp_path / "env.db"
    src.write_text(DARTS)
    assert main(["convert", str(src), "-o", str(gen)]) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOVEC_ONE_SHOT": "spos", "GLOVEC_TRIALS": "2",
           "GLOVEC_STUDY": str(study), "GLOVEC_SEED": "0", "GLOVEC_FINALISTS": "0"}
    done = subprocess.run([sys.executable, str(gen)], env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    assert "one-shot spos: 1 site(s) searched" in done.stderr
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert len(trials) == 2 and all(t["estimate"] for t in trials)


def test_enas_controller_learns_during_training_then_its_samples_are_recorded(tmp_path, capsys):
    program = DARTS.replace("nn.Sequential(nn.Identity(), head)", "nn.Sequential(nn.Linear(4, 4), head)")
    status, _, study = _run(tmp_path, program, "--one-shot", "enas", "--trials", "2", "--seed", "0",
                            "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    state = torch.load(f"{study}.oneshot.pt", weights_only=False)
    controller = state["controller"]  # the algorithms package's Controller, reinforce
    assert controller["steps"] == 11  # one update every 4 steps from step 40 of 80
    assert controller["slots"]["head"][0][0] != [0.0, 0.0]
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert len(trials) == 2 and {t["decisions"]["head"] for t in trials} == {"nn.Linear(4, 1)", "Mean()"}
    assert all(t["metrics"]["glovec.one_shot"] == "enas" for t in trials)


ZERO = DARTS.replace("class Mean(nn.Module):", """class Zero(nn.Module):
    def forward(self, x):
        return x[:, :1] * 0.0


class Mean(nn.Module):""").replace("# glovec: oneof([nn.Linear(4, 1), Mean()])",
                                   "# glovec: oneof([Zero(), Mean(), nn.Linear(4, 1)])")


def test_darts_derives_the_architecture_from_non_zero_candidates(tmp_path, capsys):
    status, _, study = _run(tmp_path, ZERO, "--one-shot", "darts", "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["decisions"]["head"] != "Zero()"
    assert len(trial["metrics"]["glovec.alpha"]["head"]) == 3


def test_architectures_added_to_a_finished_darts_study_are_estimated_on_resume(tmp_path, capsys):
    """How bench/oneshot.py gives darts a Kendall tau: architectures proposed into the finished
    study are evaluated on the trained supernet (one-hot: their candidates alone), no training."""
    from glovec.runtime.geno import DNA, DNASpec
    from glovec.runtime.study import Study

    status, src, study = _run(tmp_path, DARTS, "--one-shot", "darts", "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    stored = Study.load(str(study))
    space, (argmax,) = stored.space_doc, list(stored.trials("completed"))
    stored.close()
    assert argmax.decisions == {"head": 0}  # nn.Linear(4, 1)
    added = Study.open(str(study), space, resume=True)
    added.add_trial(DNA(DNASpec.from_space_doc(space), {"head": 1}))  # Mean()
    added.close()
    capsys.readouterr()
    assert main(["run", str(src), "--one-shot", "darts", "--study", str(study), "--resume",
                 "--finalists", "0"]) == 0
    err = capsys.readouterr().err
    assert "resuming from" in err and "no training" in err
    assert main(["report", str(study), "--json"]) == 0
    trials = {t["decisions"]["head"]: t for t in json.loads(capsys.readouterr().out)["trials"]}
    assert set(trials) == {"nn.Linear(4, 1)", "Mean()"}
    assert trials["Mean()"]["status"] == "completed" and trials["Mean()"]["estimate"] is True
    # One-hot estimates on the supernet: the linear head fits y, the mean of x does not.
    assert trials["Mean()"]["objective"] < trials["nn.Linear(4, 1)"]["objective"]


def test_enas_search_phase_records_the_policy_argmax_then_distinct_draws(tmp_path, capsys):
    program = DARTS.replace("nn.Sequential(nn.Identity(), head)", "nn.Sequential(nn.Linear(4, 4), head)").replace(
        "# glovec: oneof([nn.Linear(4, 1), Mean()])",
        "# glovec: oneof([nn.Linear(4, 1), Mean(), nn.Sequential(nn.Tanh(), nn.Linear(4, 1)), "
        "nn.Sequential(nn.ReLU(), nn.Linear(4, 1))])")
    status, _, study = _run(tmp_path, program, "--one-shot", "enas", "--trials", "3", "--seed", "0")
    assert status == 0, capsys.readouterr().err
    logits = torch.load(f"{study}.oneshot.pt", weights_only=False)["controller"]["slots"]["head"][0][0]
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    trials = sorted(json.loads(capsys.readouterr().out)["trials"], key=lambda t: t["id"])
    texts = ["nn.Linear(4, 1)", "Mean()", "nn.Sequential(nn.Tanh(), nn.Linear(4, 1))",
             "nn.Sequential(nn.ReLU(), nn.Linear(4, 1))"]
    heads = [t["decisions"]["head"] for t in trials]
    assert heads[0] == "Mean()"  # the program's own architecture first
    assert texts[logits.index(max(logits))] in heads[:2]  # then the policy's argmax
    assert len(set(heads)) == 3  # then distinct draws


def test_one_shot_runs_default_to_the_measured_search_unless_told_otherwise(monkeypatch):
    """tpe over 60 estimates and 2 finalists (docs/oneshot.md) when neither a flag, `convert`, nor the
    environment says otherwise; a per-trial run keeps its own defaults."""
    from glovec.runtime.driver import Settings, apply_one_shot_defaults

    monkeypatch.delenv("GLOVEC_TRIALS", raising=False)
    monkeypatch.delenv("GLOVEC_ALGORITHM", raising=False)
    plain = Settings()
    apply_one_shot_defaults(plain, set())
    assert (plain.trials, plain.algorithm) == (20, None)
    given = Settings(one_shot="spos", trials=5)
    apply_one_shot_defaults(given, {"trials"})
    assert (given.trials, given.algorithm) == (5, "tpe")
    monkeypatch.setenv("GLOVEC_ALGORITHM", "random")
    from_env = Settings(one_shot="enas", algorithm="random")
    apply_one_shot_defaults(from_env, set())
    assert (from_env.trials, from_env.algorithm, from_env.finalists) == (60, "random", 2)


FINAL = """\
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(96, 4)
y = torch.tanh(2 * x[:, :1]) - x[:, 1:2] * x[:, 2:3]
head = nn.Linear(4, 1)  # glovec: oneof([nn.Linear(4, 1), nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)), nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), nn.Sequential(nn.Tanh(), nn.Linear(4, 1))])
model = nn.Sequential(head)
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
loss_fn = nn.MSELoss()
for step in range(60):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
score = -loss_fn(model(x), y).item()  # glovec: objective
print(repr(score))
"""


def test_finalists_are_trained_alone_and_the_best_of_them_is_the_pick(tmp_path, capsys):
    """After the search on shared weights, the 2 best estimates and the program's own
    architecture are trained alone by the program (--finalists' default); the best trial is the
    best of them, and its objective is what the materialized program gets on its own."""
    status, src, study = _run(tmp_path, FINAL, "--one-shot", "spos", "--trials", "4", "--seed", "0")
    out, err = capsys.readouterr()
    assert status == 0, err
    assert re.search(r"spos: training [23] finalist\(s\) alone with the program \(the best "
                     r"estimate, estimate no. 2", err)
    assert main(["report", str(study), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    estimates = [t for t in report["trials"] if t["estimate"]]
    finals = [t for t in report["trials"] if "glovec.finalist" in t["metrics"]]
    assert len(estimates) == 4 and all(t["status"] == "completed" for t in finals)
    top2 = sorted(estimates, key=lambda t: (-t["objective"], t["id"]))[:2]
    own = next(t for t in estimates if t["decisions"]["head"] == "nn.Linear(4, 1)")
    expected = [t["decisions"] for t in top2] + ([own["decisions"]] if own not in top2 else [])
    assert [t["decisions"] for t in finals] == expected  # in training order
    assert [t["metrics"]["glovec.estimate"] for t in finals[:2]] == [t["objective"] for t in top2]
    assert all(t["estimate"] is False for t in finals)
    best = max(finals, key=lambda t: t["objective"])
    assert report["best"] == best["id"]  # a measured trial, above every estimate
    assert f"pick: trial {best['id']}, {best['objective']:.4g} trained alone" in out
    assert main(["report", str(study)]) == 0
    text = capsys.readouterr().out
    assert re.search(rf"\n +{best['id']} +\S+ +alone +head=", text)
    assert f"except those of the {len(finals)} trial(s) trained alone" in text
    assert main(["materialize", str(src), "--best", "--study", str(study), "-o",
                 str(tmp_path / "pick.py")]) == 0
    alone = subprocess.run([sys.executable, str(tmp_path / "pick.py")], capture_output=True,
                           text=True, timeout=120)
    assert alone.returncode == 0, alone.stderr
    assert float(alone.stdout.strip()) == best["objective"]


def test_a_search_killed_while_training_finalists_resumes_with_the_rest(tmp_path):
    """SIGKILL during the second finalist: the resumed run neither trains the supernet again nor
    estimates anything; it trains the finalist that was cut short (in its own trial) and the
    rest, each once."""
    src, study, steps = tmp_path / "model.py", tmp_path / "s.db", tmp_path / "steps"
    src.write_text(SLOW)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STEPS_OUT": str(steps)}
    cmd = [sys.executable, "-m", "glovec.cli", "run", str(src), "--one-shot", "spos",
           "--trials", "4", "--study", str(study), "--seed", "0", "--finalists", "3"]
    assert kill_after_completed(cmd, env, study, 5) == 5  # 4 estimates, 1 finalist
    # The supernet's 30 steps, the first finalist's, and the second's (killed in its evaluation).
    assert len(steps.read_text()) == 90
    again = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    # The search was done: the program is not run on the supernet again, nothing is estimated.
    assert "site(s) searched" not in again.stderr and "spos estimate" not in again.stderr
    assert "resumed: no training and no search in this run" in again.stdout
    report = subprocess.run([sys.executable, "-m", "glovec.cli", "report", str(study), "--json"],
                            env=env, capture_output=True, text=True, timeout=60)
    trials = json.loads(report.stdout)["trials"]
    finals = [t for t in trials if "glovec.finalist" in t["metrics"]]
    n = len(finals)  # the 3 best estimates, and the program's own unless it is one of them
    assert n in (3, 4) and len(trials) == 4 + n
    assert all(t["status"] == "completed" and not t["estimate"] for t in finals)
    assert len({json.dumps(t["decisions"]) for t in finals}) == n
    assert again.stderr.count("trained alone in") == n - 1  # the cut one again, and the rest
    assert len(steps.read_text()) == 90 + 30 * (n - 1)


def test_finalists_go_with_one_shot_only(tmp_path, capsys):
    status, _, _ = _run(tmp_path, FINAL, "--trials", "1", "--finalists", "2")
    assert status == 2
    assert "--finalists only makes sense with --one-shot" in capsys.readouterr().err

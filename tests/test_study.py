"""The SQLite study: transitions, reading back, resume, changed spaces and --migrate."""

from __future__ import annotations

import sqlite3

import pytest

from glovec.runtime.study import Study, StudyError, space_diff, space_fingerprint


def make_space(direction="maximize", x_cands=("1", "2", "3"), extra_sites=(), lr_hi=1.0):
    sites = [
        {"id": "x", "kind": "oneof", "line": 2, "col": 5, "candidates": list(x_cands),
         "default": 0, "repeat": 1},
        {"id": "lr", "kind": "floatv", "line": 3, "col": 6, "lo": 0.0, "hi": lr_hi,
         "scale": "linear", "default": 0.5, "repeat": 1},
        {"id": "ops", "kind": "manyof", "line": 4, "col": 7, "k": 2, "distinct": True,
         "sorted": False, "candidates": ["a", "b", "c"], "default": [0, 1], "repeat": 1},
    ]
    sites.extend(extra_sites)
    return {"glovec_space": 1, "source": "model.py",
            "objective": {"direction": direction, "line": 9, "col": 1},
            "metrics": [], "reports": [], "sites": sites}


def dna(x=0, lr=0.5, ops=(0, 1)):
    return {"x": x, "lr": lr, "ops": ops}


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "s.glovec.db")


def test_transitions_are_stored_and_read_back(path):
    with Study.open(path, make_space()) as study:
        a = study.add_trial(dna(1, 0.25, (2, 0)), status="running")
        b = study.add_trial(dna(2))
        study.start(b)
        study.report(b, 0, 0.1)
        study.prune(b, 0)
        c = study.add_trial(dna(0), status="running")
        study.fail(c, "Traceback: boom")
        study.complete(a, 0.75, {"acc": 0.75}, reports=[(0, 0.5), (1, 0.75)])
    with Study.load(path) as study:
        trials = {t.id: t for t in study.trials()}
        assert [t.status for t in trials.values()] == ["completed", "pruned", "failed"]
        assert trials[a].decisions == {"x": 1, "lr": 0.25, "ops": (2, 0)}
        assert trials[a].objective == 0.75 and trials[a].metrics == {"acc": 0.75}
        assert trials[c].error == "Traceback: boom"
        assert trials[b].step == 0
        assert study.reports(a) == [(0, 0.5), (1, 0.75)]
        assert study.counts() == {"proposed": 0, "running": 0, "completed": 1, "failed": 1,
                                  "pruned": 1}
        assert [t.id for t in study.trials("failed")] == [c]


def test_the_file_is_wal_with_a_schema_version(path):
    Study.open(path, make_space()).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_version").fetchone()[0] == 1
    con.execute("UPDATE schema_version SET version = 99")
    con.commit()
    con.close()
    with pytest.raises(StudyError) as err:
        Study.load(path)
    assert err.value.code == "GV505"


def test_a_finished_trial_cannot_finish_again(path):
    with Study.open(path, make_space()) as study:
        tid = study.add_trial(dna(), status="running")
        study.complete(tid, 1.0)
        with pytest.raises(StudyError, match="already completed") as err:
            study.fail(tid, "late")
        assert err.value.code == "GV504"
        assert study.counts()["completed"] == 1 and study.counts()["failed"] == 0


@pytest.mark.parametrize("direction, expected", [("maximize", [2, 3, 1]), ("minimize", [1, 3, 2])])
def test_best_follows_the_direction(path, direction, expected):
    with Study.open(path, make_space(direction)) as study:
        for value in (0.1, 0.9, 0.5):
            study.complete(study.add_trial(dna(), status="running"), value)
        study.fail(study.add_trial(dna(), status="running"), "x")
        assert [t.id for t in study.best(3)] == expected
        assert len(study.best(10)) == 3


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_trial_trained_alone_ranks_above_every_estimate_once_finalists_are_recorded(path, direction):
    """One-shot estimates and accuracies alone are not comparable: in a study where a one-shot run
    recorded finalists, the best trials are those trained alone (by their objective), then the
    estimates; before that, every trial ranks by its objective alone."""
    good = 0.9 if direction == "maximize" else 0.1
    with Study.open(path, make_space(direction)) as study:
        high = study.add_trial(dna(1), status="running")
        study.complete(high, good, {"glovec.one_shot": "spos"})  # the best estimate
        low = study.add_trial(dna(2), status="running")
        study.complete(low, 0.5, {"glovec.one_shot": "spos"})
        assert [t.id for t in study.best(2)] == [high, low] and study.finalist_ids() is None
        worse = study.add_trial(dna(1), status="running")
        study.add_finalist(worse)
        study.complete(worse, 0.3 if direction == "maximize" else 0.7, {"glovec.finalist": "spos"})
        better = study.add_trial(dna(2), status="running")
        study.add_finalist(better)
        study.complete(better, 0.5, {"glovec.finalist": "spos"})
        assert study.finalist_ids() == [worse, better]
        assert [t.id for t in study.best(4)] == [better, worse, high, low]


def test_history_is_in_proposal_order_with_rewards_signed_by_direction(path):
    with Study.open(path, make_space("minimize")) as study:
        a = study.add_trial(dna(1), status="running")
        b = study.add_trial(dna(2), status="running")
        c = study.add_trial(dna(0), status="running")
        study.complete(b, 0.5)   # out of order, as parallel trials finish
        study.complete(a, 2.0)
        study.fail(c, "x")
        hist = study.history(as_dna=False)
    assert hist == [(dna(1), -2.0), (dna(2), -0.5), (dna(0), None)]


def test_reopening_a_study_with_trials_needs_resume(path):
    with Study.open(path, make_space()) as study:
        study.complete(study.add_trial(dna(), status="running"), 1.0)
    with pytest.raises(StudyError) as err:
        Study.open(path, make_space())
    assert err.value.code == "GV502" and "--resume" in err.value.message
    Study.open(path, make_space(), resume=True).close()


def test_resume_requeues_trials_left_in_flight_and_keeps_finished_ones(path):
    study = Study.open(path, make_space())
    done = study.add_trial(dna(1), status="running")
    study.complete(done, 1.0)
    flying = study.add_trial(dna(2, 0.3), status="running")
    study.report(flying, 0, 0.2)
    queued = study.add_trial(dna(0))
    # the driver dies here: no close, no cleanup
    again = Study.open(path, make_space(), resume=True)
    assert again.requeued == [flying, queued]
    assert [(t.id, t.status) for t in again.trials()] == [
        (done, "completed"), (flying, "proposed"), (queued, "proposed")]
    assert again.reports(flying) == []   # the re-run reports afresh
    assert again.trial(flying).decisions == dna(2, 0.3)
    # in-flight trials count as proposals (reward None) so a seeded algorithm moves past them
    assert again.history(as_dna=False) == [(dna(1), 1.0), (dna(2, 0.3), None), (dna(0), None)]
    again.start(flying)
    again.complete(flying, 0.5)
    assert again.counts()["completed"] == 2
    study.close()
    again.close()


def test_changed_space_names_the_sites(path):
    with Study.open(path, make_space()) as study:
        study.complete(study.add_trial(dna(), status="running"), 1.0)
    changed = make_space(x_cands=("1", "2", "4"), extra_sites=[
        {"id": "depth", "kind": "intv", "lo": 1, "hi": 4, "step": 1, "scale": "linear",
         "default": 2, "repeat": 1}])
    changed["sites"] = [s for s in changed["sites"] if s["id"] != "ops"]
    with pytest.raises(StudyError) as err:
        Study.open(path, changed, resume=True)
    assert err.value.code == "GV503"
    message = err.value.message
    assert "added: depth" in message and "removed: ops" in message and "changed: x" in message
    assert "--migrate" in message


def test_moving_lines_or_defaults_is_not_a_change():
    a = make_space()
    b = make_space()
    b["sites"][0]["line"] = 40
    b["sites"][1]["default"] = 0.1
    assert space_fingerprint(a) == space_fingerprint(b)
    assert space_diff(a, b) == ([], [], [])


def test_migrate_keeps_trials_whose_decisions_still_fit(path):
    with Study.open(path, make_space()) as study:
        keep = study.add_trial(dna(x=1, lr=0.4), status="running")     # x="2"
        study.complete(keep, 1.0)
        gone_x = study.add_trial(dna(x=2, lr=0.4), status="running")   # x="3": removed below
        study.complete(gone_x, 2.0)
        gone_lr = study.add_trial(dna(x=0, lr=0.9), status="running")  # lr outside the new range
        study.complete(gone_lr, 3.0)
    # candidates reordered and one replaced, lr narrowed, a new site added
    new = make_space(x_cands=("2", "1", "5"), lr_hi=0.5, extra_sites=[
        {"id": "depth", "kind": "intv", "lo": 1, "hi": 4, "step": 1, "scale": "linear",
         "default": 2, "repeat": 1}])
    with Study.open(path, new, resume=True, migrate=True) as study:
        assert study.migrated == [keep] and study.dropped == [gone_x, gone_lr]
        (t,) = study.trials()
        # "2" moved from index 1 to index 0; the new site takes its default
        assert t.decisions == {"x": 0, "lr": 0.4, "ops": (0, 1), "depth": 2}
        assert t.objective == 1.0
    # the migrated study now matches the new space: a plain resume works
    Study.open(path, new, resume=True).close()


def test_migrate_drops_a_nested_flows_rows_and_the_inner_trials_of_a_dropped_outer(path):
    with Study.open(path, make_space()) as study:
        outer_kept = study.scoped(kind="outer").add_trial(dna(x=1), status="running")
        outer_gone = study.scoped(kind="outer").add_trial(dna(x=2), status="running")  # x="3"
        inner_kept = study.scoped(outer_kept).add_trial(dna(x=1), status="running")
        inner_gone = study.scoped(outer_kept).add_trial(dna(x=2), status="running")
        orphan = study.scoped(outer_gone).add_trial(dna(x=0), status="running")  # fits, but its
        for tid in (outer_kept, outer_gone, inner_kept, inner_gone, orphan):  # outer is gone
            study.complete(tid, 1.0)
    with Study.open(path, make_space(x_cands=("1", "2")), resume=True, migrate=True) as study:
        assert study.dropped == [outer_gone, inner_gone, orphan]
        assert study.levels() == {outer_kept: (None, "outer"), inner_kept: (outer_kept, "inner")}
        assert sorted(t.id for t in study.trials()) == [outer_kept, inner_kept]


def test_not_a_study(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()
    with pytest.raises(StudyError) as err:
        Study.open(str(other), make_space())
    assert err.value.code == "GV501"
    with pytest.raises(StudyError):
        Study.load(str(tmp_path / "missing.db"))


def test_several_objectives_round_trip(path):
    with Study.open(path, make_space()) as study:
        tid = study.add_trial(dna(), status="running")
        study.complete(tid, (0.5, 2.0))
        assert study.trial(tid).objective == (0.5, 2.0)
        assert study.best(1)[0].id == tid


def test_a_trial_records_its_node_and_an_older_study_stays_readable(path, tmp_path):
    from glovec.commands.run import _nodes_text, nodes_json

    with Study.open(path, make_space()) as study:
        a = study.add_trial(dna(1), status="running")
        study.complete(a, 0.5, node="n-1", attempts=2)
        b = study.add_trial(dna(2), status="running")
        study.fail(b, "lost", node="n-2")
        c = study.add_trial(dna(0), status="running")
        study.complete(c, 0.75)
    with Study.load(path) as study:
        got = [(t.id, t.node, t.attempts) for t in study.trials()]
        assert got == [(a, "n-1", 2), (b, "n-2", 1), (c, None, 1)]
        grouped = nodes_json(study)["nodes"]
        assert [(g["node"], g["trials"], g["completed"], g["failed"], g["retried"], g["best"])
                for g in grouped] == [("n-1", 1, 1, 0, 1, 0.5), ("n-2", 1, 0, 1, 0, None),
                                      (None, 1, 1, 0, 0, 0.75)]
        assert "(this machine)" in _nodes_text(study)
    # a study written before trials had a node: read as is (nothing written), then given the
    # column by the next driver that opens it
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE trials DROP COLUMN node")
    con.close()
    before = open(path, "rb").read()
    with Study.load(path) as study:
        assert [(t.id, t.node) for t in study.trials()] == [(a, None), (b, None), (c, None)]
        assert study.best(1)[0].id == c
    assert open(path, "rb").read() == before
    with Study.open(path, make_space(), resume=True) as study:
        d = study.add_trial(dna(1), status="running")
        study.complete(d, 0.25, node="n-3")
        assert study.trial(d).node == "n-3" and study.trial(a).node is None

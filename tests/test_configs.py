"""Config files (`--config PATH`): sites in YAML files next to the program.

Golden files (fixtures/configs, written by scripts/regen-fixtures) pin the search version and
the materialized file byte for byte; the commands write them atomically and never touch the
input; a trial reads its own values through the file's own path (glovec.runtime.configs), for a
plain `yaml.safe_load` program, an OmegaConf one and a Hydra one.
"""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import glovec_process
from glovec.cli import main
from glovec.compiler import compile_source
from glovec.runtime import configs as runtime_configs
from glovec.runtime import hyper
from glovec.transforms.diagnostics import CATALOGUE

BUILTIN_OPEN = open  # as the session started, before any trial replaced it
ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "fixtures" / "configs"
ALL = sorted(p.parent.name for p in CASES.glob("*/config.yaml"))
EXAMPLE = ROOT / "examples" / "yaml_config"

PROGRAM = "import yaml\n\nwith open('config.yaml') as f:\n    cfg = yaml.safe_load(f)\n" \
          "score = cfg['width'] * cfg['lr']  # glovec: objective\n"
CONFIG = ("# a comment\nwidth: 64  # glovec: oneof([32, 64, 128])\n"
          "lr: 0.01  # glovec: floatv(0.001, 0.1, scale=\"log\")\nname: 'kept'\n")


def test_golden_files_are_what_regen_writes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "regen-fixtures"), "--into",
                    str(tmp_path)], check=True, cwd=ROOT)
    names = ("expected_search.yaml", "expected_materialized.yaml", "expected_space.json",
             "expected.txt")
    assert len(ALL) >= 8
    for case in ALL:
        for name in names:
            golden, fresh = CASES / case / name, tmp_path / "configs" / case / name
            assert golden.exists() == fresh.exists(), f"{case}/{name}"
            if golden.exists():
                assert golden.read_bytes() == fresh.read_bytes(), f"{case}/{name} is stale"


@pytest.mark.parametrize("case", [c for c in ALL if (CASES / c / "expected_search.yaml").exists()])
def test_only_the_values_change(case):
    """Outside each site's value, the search version and the materialized file are the input
    byte for byte (comments, quoting, flow style, anchors, tags, CRLF, BOM)."""
    original = (CASES / case / "config.yaml").read_bytes()
    for name in ("expected_search.yaml", "expected_materialized.yaml"):
        out = (CASES / case / name).read_bytes()
        assert original.count(b"\n") == out.count(b"\n")
        assert original.count(b"\r\n") == out.count(b"\r\n")
        assert out.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
        for before, after in zip(original.splitlines(), out.splitlines()):
            if before != after:  # a changed line keeps what follows the value: its comment
                assert b"#" not in before or before[before.index(b"  #"):] == \
                    after[after.index(b"  #"):]
    # the materialized file reads back as the decisions say
    decisions = json.loads((CASES / case / "decisions.json").read_text())
    space = json.loads((CASES / case / "expected_space.json").read_text())
    loaded = yaml.safe_load((CASES / case / "expected_materialized.yaml").read_bytes())
    for site in space["sites"]:
        path = site["id"].split(".")[1:]
        if site["id"] == "config.width.256":  # a rule's id= names it
            path = ["model", "encoder", "units"]
        value = loaded
        for key in path:
            value = value[int(key)] if isinstance(value, list) else value[key]
        decision = decisions.get(site["id"], site["default"])
        want = (yaml.safe_load(json.dumps(eval(site["candidates"][decision])))
                if site["kind"] == "oneof" else decision)
        assert value == want or (isinstance(want, float) and math.isclose(value, want)), site["id"]


def test_search_version_renders_to_the_trials_values():
    result = compile_source(PROGRAM, "prog.py", configs=[("config.yaml", CONFIG)])
    assert result.ok, result.diagnostics
    entry = result.space_doc["configs"][0]
    assert entry["path"] == "config.yaml" and "${glovec:config.width}" in entry["text"]
    sites = {s["id"]: s for s in result.space_doc["sites"]}
    text = runtime_configs.render(entry["text"], sites, {"config.width": 2, "config.lr": 2e-5})
    assert yaml.safe_load(text) == {"width": 128, "lr": 2e-5, "name": "kept"}
    assert text == CONFIG.replace("width: 64", "width: 128").replace("lr: 0.01", "lr: 2.0e-05")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(allow_nan=False), st.integers(), st.booleans(), st.none(),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)))
def test_a_value_written_as_yaml_reads_back_the_same(value):
    text = runtime_configs.yaml_scalar(value)
    assert yaml.safe_load(f"k: {text}\n")["k"] == value
    for style in ("'", '"'):
        if isinstance(value, str):
            assert yaml.safe_load(f"k: {runtime_configs.yaml_scalar(value, style)}\n")["k"] == value


def test_views_serve_every_way_of_opening_and_go_with_the_trial(tmp_path):
    omegaconf = pytest.importorskip("omegaconf")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    result = compile_source(PROGRAM, str(tmp_path / "prog.py"),
                            configs=[(str(config), CONFIG)])
    space_json = json.dumps(result.space_doc)
    hyper.activate({"config.width": 0, "config.lr": 0.05})
    try:
        runtime_configs.enter(space_json, str(tmp_path / "prog.py"), hyper.current().decisions)
        reads = [open(config).read(), io.open(str(config), "rb").read().decode(),
                 pathlib.Path(config).read_text(), open(os.path.relpath(config)).read()]
        for text in reads:
            assert yaml.safe_load(text)["width"] == 32
        assert omegaconf.OmegaConf.load(str(config)).lr == 0.05
        fd = os.open(config, os.O_RDONLY)  # below open(): the file on disk is never written
        try:
            assert os.read(fd, 1 << 16).decode() == CONFIG
        finally:
            os.close(fd)
    finally:
        hyper.deactivate()
    assert open(config).read() == CONFIG and runtime_configs.views() == {}
    assert open is BUILTIN_OPEN and io.open is BUILTIN_OPEN  # the trial's open() is gone


def _cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_example_end_to_end(tmp_path, capsys):
    """glovec run on the example for 3 trials, each seeing its own values; the best trial
    materialized; the plain program run on the materialized file gives its objective again."""
    pytest.importorskip("sklearn")  # the example trains scikit-learn's SVC
    folder = tmp_path / "yaml_config"
    shutil.copytree(EXAMPLE, folder)
    config = folder / "conf" / "config.yaml"
    original = config.read_bytes()
    status, out, err = _cli(capsys, "space", folder / "train.py", "--config", config)
    assert status == 0, err
    assert "config.model.C" in out and f"{config}:11:6" in out
    study = tmp_path / "s.db"
    status, out, err = _cli(capsys, "run", folder / "train.py", "--config", config,
                            "--trials", "3", "--study", study, "--algorithm", "random",
                            "--seed", "1")
    assert status == 0, err
    status, out, err = _cli(capsys, "report", study, "--json")
    trials = json.loads(out)["trials"]
    assert [t["status"] for t in trials] == ["completed"] * 3
    assert len({t["objective"] for t in trials}) == 3  # the values reached the program
    assert config.read_bytes() == original
    best = max(trials, key=lambda t: t["objective"])
    status, out, err = _cli(capsys, "materialize", folder / "train.py", "--config", config,
                            "--best", "--study", study, "-o", folder / "best.py")
    assert status == 0, err
    written = folder / "conf" / "config_materialized.yaml"
    chosen = yaml.safe_load(written.read_text())
    assert chosen["model"]["C"] == pytest.approx(best["decisions"]["config.model.C"])
    assert chosen["model"]["kernel"] == json.loads(best["decisions"]["config.model.kernel"])
    assert written.read_text().splitlines()[:6] == original.decode().splitlines()[:6]
    shutil.copy(written, config)
    plain = subprocess.run([sys.executable, str(folder / "train.py")], capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert f"accuracy: {best['objective']:.4f}" in plain.stdout


def test_convert_writes_the_search_version_and_the_program_searches_with_it(tmp_path, capsys):
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "config.yaml").write_text(CONFIG)
    status, _, err = _cli(capsys, "convert", tmp_path / "prog.py", "--config",
                          tmp_path / "config.yaml", "--trials", "2", "--algorithm", "grid")
    assert status == 0, err
    search = (tmp_path / "config_search.yaml").read_text()
    assert search == CONFIG.replace(" 64 ", " ${glovec:config.width} ").replace(
        " 0.01 ", " ${glovec:config.lr} ")
    status, _, err = _cli(capsys, "convert", tmp_path / "prog.py", "--config",
                          tmp_path / "config.yaml", "--trials", "2", "--algorithm", "grid",
                          "--check")
    assert status == 0, err
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOVEC_STUDY": str(tmp_path / "g.db")}
    run = subprocess.run([sys.executable, "prog_search.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    status, out, _ = _cli(capsys, "report", tmp_path / "g.db", "--json")
    objectives = sorted(t["objective"] for t in json.loads(out)["trials"])
    assert len(objectives) == 2 and objectives[0] < objectives[1]  # grid: width 32, then 64
    (tmp_path / "config.yaml").write_text(CONFIG.replace("# a comment", "# edited"))
    status, _, err = _cli(capsys, "convert", tmp_path / "prog.py", "--config",
                          tmp_path / "config.yaml", "--check")
    assert status == 1 and "config_search.yaml is stale" in err


def test_a_hydra_program_sees_each_trials_values(tmp_path, capsys):
    pytest.importorskip("hydra")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text(CONFIG)
    (tmp_path / "app.py").write_text(
        "import hydra\n\n\n@hydra.main(version_base=None, config_path='conf', config_name='config')\n"
        "def main(cfg):\n    score = cfg.width * cfg.lr  # glovec: objective\n\n\n"
        "if __name__ == '__main__':\n    main()\n")
    study = tmp_path / "h.db"
    # in a glovec of its own: an inline Hydra trial configures the logging of the process it
    # runs in, which here would be the test session's
    done = glovec_process(["run", tmp_path / "app.py", "--config", tmp_path / "conf" / "config.yaml",
                           "--trials", "3", "--study", study, "--algorithm", "grid", "--",
                           f"hydra.run.dir={tmp_path}/out"])
    assert done.returncode == 0, done.stderr
    status, out, _ = _cli(capsys, "report", study, "--json")
    trials = json.loads(out)["trials"]
    for t in trials:  # the objective the program computed is the trial's own width * lr
        width = int(t["decisions"]["config.width"])
        assert t["objective"] == pytest.approx(width * t["decisions"]["config.lr"])
    assert len({t["decisions"]["config.lr"] for t in trials}) == 3


@pytest.mark.parametrize("case", [c for c in ALL if (CASES / c / "expected.txt").exists()
                                  and not (CASES / c / "expected_search.yaml").exists()])
def test_bad_input_is_a_diagnostic_and_writes_nothing(case, tmp_path, capsys):
    folder = tmp_path / case
    shutil.copytree(CASES / case, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    argv = ["convert", "input.py", "--config", "config.yaml"]
    if (folder / "rules.toml").exists():
        argv += ["--rules", "rules.toml"]
    here = os.getcwd()
    os.chdir(folder)
    try:
        status, _, err = _cli(capsys, *argv)
    finally:
        os.chdir(here)
    assert status == 1
    assert err == (CASES / case / "expected.txt").read_text()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


CONFIG_CODES = [c for c in CATALOGUE if c.check == "config"]


def test_the_config_codes_are_gv8xx():
    assert [c.code for c in CONFIG_CODES] == ["GV801", "GV802", "GV803", "GV804", "GV805"]


@pytest.mark.parametrize("entry", CONFIG_CODES, ids=lambda c: c.code)
def test_config_code_before_gives_it_and_after_compiles(entry, tmp_path):
    rules = None
    if "rules" in entry.example:
        rules = tmp_path / "rules.toml"
        rules.write_text(entry.example["rules"])
    for text, wanted in ((entry.before, True), (entry.after, False)):
        result = compile_source(entry.example["program"], "model.py", rules=rules and str(rules),
                                configs=[("config.yaml", text)])
        codes = [d.code for d in result.diagnostics + result.warnings]
        assert (entry.code in codes) == wanted, (entry.code, codes)
        if not wanted:
            assert result.ok and result.code is not None


def test_materialize_refuses_decisions_that_do_not_fit(tmp_path, capsys):
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "config.yaml").write_text(CONFIG)
    status, _, err = _cli(capsys, "materialize", tmp_path / "prog.py", "--config",
                          tmp_path / "config.yaml", "--dna", '{"config.width": 7}')
    assert status == 1 and "GV506" in err
    assert not (tmp_path / "config_materialized.yaml").exists()
    status, _, err = _cli(capsys, "materialize", tmp_path / "prog.py", "--config",
                          tmp_path / "config.yaml", "--dna", '{"config.width": "128"}',
                          "--config-output", tmp_path / "chosen.yaml")
    assert status == 0, err
    assert (tmp_path / "chosen.yaml").read_text() == CONFIG.replace(" 64 ", " 128 ")


# ---- the presets read config files (transforms/presets/config_keys.toml) ---------------------

HYDRA = """\
seed: 42
trainer:
  max_epochs: 10
  gradient_clip_val: 1.0
optimizer:
  lr: 3.0e-4
  weightDecay: 0.01
  betas: [0.9, 0.999]
model:
  hidden-dim: 256
  num_layers: 4
  dropout: 0.1
  name: resnet
data:
  batch_size: 64
  eval_batch_size: 128
  num_workers: 4
  root: /data
"""


@pytest.mark.parametrize("preset", ["argparse", "pytorch", "keras", "config_keys"])
def test_the_presets_find_hyper_parameters_in_a_yaml_file(preset):
    result = compile_source(PROGRAM, "train.py", rules=preset, configs=[("conf.yaml", HYDRA)])
    assert result.ok, result.diagnostics
    sites = {s["id"]: s for s in result.space_doc["sites"] if s.get("file")}
    assert sorted(sites) == sorted([
        "conf.trainer.gradient_clip_val", "conf.optimizer.lr", "conf.optimizer.weightDecay",
        "conf.optimizer.betas.0", "conf.optimizer.betas.1", "conf.model.hidden-dim",
        "conf.model.num_layers", "conf.model.dropout", "conf.data.batch_size"])
    # ranges from the file's value, as for an argparse option with that default
    assert (sites["conf.optimizer.lr"]["lo"], sites["conf.optimizer.lr"]["hi"]) == \
        pytest.approx((3e-5, 3e-3))
    assert sites["conf.model.hidden-dim"]["candidates"] == ["128", "256", "512"]
    assert sites["conf.optimizer.betas.1"]["candidates"][-1] == "0.999"


def test_the_config_keys_mirror_the_argparse_families():
    """The families added to the argparse preset are read as YAML keys too."""
    text = ("ppo:\n  gae_lambda: 0.95\n  clip_range: 0.2\n  update_epochs: 4\n"
            "model:\n  ffn_dim: 1024\n  attn_pdrop: 0.1\n  activation: gelu\n  patch_size: 16\n"
            "  num_epochs: 3\n")
    result = compile_source(PROGRAM, "train.py", rules="config_keys", configs=[("conf.yaml", text)])
    assert result.ok, result.diagnostics
    sites = {s["id"]: s["candidates"] for s in result.space_doc["sites"] if s.get("file")}
    assert sites == {
        "conf.ppo.gae_lambda": ["0.9", "0.95", "0.97", "0.99"],
        "conf.ppo.clip_range": ["0.1", "0.2", "0.3"],
        "conf.ppo.update_epochs": ["2", "4", "8"],
        "conf.model.ffn_dim": ["512", "1024", "2048"],
        "conf.model.attn_pdrop": ["0.0", "0.1", "0.2", "0.3", "0.5"],
        "conf.model.activation": ['"relu"', '"gelu"', '"elu"', '"tanh"'],
        "conf.model.patch_size": ["8", "16", "32"],
    }


def test_space_explain_names_the_yaml_line_of_key_sites_and_refusals(tmp_path, capsys):
    (tmp_path / "train.py").write_text(PROGRAM)
    (tmp_path / "conf.yaml").write_text(HYDRA)
    status, out, err = _cli(capsys, "space", tmp_path / "train.py", "--rules", "pytorch",
                            "--config", tmp_path / "conf.yaml", "--explain")
    assert status == 0, err
    conf = tmp_path / "conf.yaml"
    why = out.split("why each site (--explain):")[1].split("left alone")[0]
    assert f"conf.optimizer.lr  {conf}:6:7  preset config_keys:" in why
    assert "key optimizer.lr matches '*.lr'; x = 0.0003 -> floatv(3e-05, 0.003" in why
    assert "key optimizer.weightDecay matches '*.weight_decay'" in why
    alone = out.split("left alone (--explain):")[1]
    for place, key in (("1:7", "seed"), ("3:15", "trainer.max_epochs"),
                       ("16:20", "data.eval_batch_size"), ("17:16", "data.num_workers")):
        assert f"{conf}:{place}  " in alone and f"key {key} matches" in alone
    assert "kept out of the search (skip = true)" in alone
    status, out, err = _cli(capsys, "space", tmp_path / "train.py", "--rules", "pytorch",
                            "--config", tmp_path / "conf.yaml", "--explain", "--json")
    explain = json.loads(out)["explain"]
    lr = next(s for s in explain["sites"] if s["id"] == "conf.optimizer.lr")
    assert (lr["file"], lr["line"], lr["col"]) == ("conf.yaml", 6, 7)
    assert {(r["file"], r["line"]) for r in explain["left_alone"]} >= {("conf.yaml", 1)}


def test_a_search_version_given_as_config_is_gv805(tmp_path, capsys):
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "config.yaml").write_text(CONFIG)
    status, _, err = _cli(capsys, "convert", tmp_path / "prog.py", "-o", tmp_path / "out.py",
                          "--config", tmp_path / "config.yaml")
    assert status == 0, err
    search = tmp_path / "config_search.yaml"
    before = search.read_bytes()
    for command in ("space", "check"):
        status, out, err = _cli(capsys, command, tmp_path / "prog.py", "--config", search)
        assert status == 1
        assert f"{search}:2:8: GV805 the file already holds ${{glovec:" in err + out
    assert search.read_bytes() == before


CHECKED = ("import yaml\n\nwith open('config.yaml') as f:\n    cfg = yaml.safe_load(f)\n"
           "if cfg['width'] == 32:\n    raise ValueError('too narrow')\n"
           "score = cfg['width'] * cfg['lr']  # glovec: objective\n")


def test_check_with_config_counts_and_runs_the_files_sites(tmp_path, capsys):
    (tmp_path / "prog.py").write_text(CHECKED)
    (tmp_path / "config.yaml").write_text(CONFIG)
    status, out, err = _cli(capsys, "check", tmp_path / "prog.py", "--config",
                            tmp_path / "config.yaml", "--format", "json")
    assert status == 0, out + err
    report = json.loads(out)  # a site's file: where it is written
    assert {s["id"]: s["file"] for s in report["sites"]} == {
        "config.width": str(tmp_path / "config.yaml"), "config.lr": str(tmp_path / "config.yaml")}
    here = os.getcwd()
    os.chdir(tmp_path)  # the program opens config.yaml from its working folder
    try:
        status, out, err = _cli(capsys, "check", "prog.py", "--config", "config.yaml",
                                "--dynamic", "3")
    finally:
        os.chdir(here)
    assert status == 1
    # the run that chose width 32 read it from the file: the program's own line fails
    assert "prog.py:6:1: GV404 candidate 32 of site config.width fails at line 6: " \
           "ValueError: too narrow" in out + err
    assert "config.width" in out and "yes" in out.split("config.width")[1].splitlines()[0]

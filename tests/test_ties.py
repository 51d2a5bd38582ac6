"""Tied sites: several values that are one decision (one name=, or a rule's tie).

A user ties values by giving them the same name= and the same spec; the pytorch preset ties a
layer's literal width to the later layers' literal input sizes it flows into. Either way the
space and the DNA hold one decision, every value takes it at run time, and materialize writes it
at each value; the same name with another spec is GV109.
"""

from __future__ import annotations

import json

import pytest
import yaml

from glovec.cli import main
from glovec.compiler import compile_source
from glovec.runtime import configs as runtime_configs
from glovec.runtime import hyper
from glovec.runtime.geno import DNASpec
from glovec.transforms.materialize import materialize_source
from glovec.transforms.rules import match_rules


MARKED = (
    "encoder = 64  # glovec: oneof([32, 64, 128], name=\"hidden\")\n"
    "lr = 0.1  # glovec: floatv(0.01, 1.0)\n"
    "decoder = 64  # glovec: oneof([32, 64, 128], name=\"hidden\")\n"
)

DDPG = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class QNetwork(nn.Module):
    def __init__(self, observations, actions):
        super().__init__()
        self.fc1 = nn.Linear(observations + actions, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = F.relu(self.fc1(torch.cat([x, a], 1)))
        return self.fc3(F.relu(self.fc2(x)))


class C51(nn.Module):
    def __init__(self, observations, actions, n_atoms=51):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(observations, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, actions * n_atoms),
        )

    def forward(self, x):
        return self.network(x)


q = QNetwork(11, 3)
c51 = C51(4, 2)
out = q(torch.zeros(5, 11), torch.zeros(5, 3)).shape, c51(torch.zeros(5, 4)).shape
'''


def _cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _run(code: str, decisions: dict, path: str) -> dict:
    """The generated program run as a trial with ``decisions`` (its header hands nothing to a
    search when the module is not __main__); its globals."""
    namespace = {"__name__": "tied_program", "__file__": path}
    hyper.activate(decisions)
    try:
        exec(compile(code, path, "exec"), namespace)
    finally:
        hyper.deactivate()
    return namespace


def test_markers_with_one_name_are_one_decision(tmp_path, capsys):
    src = tmp_path / "model.py"
    src.write_text(MARKED)
    result = compile_source(MARKED, str(src))
    assert result.ok, result.diagnostics
    sites = result.space_doc["sites"]
    assert [s["id"] for s in sites] == ["hidden", "lr"]
    assert (sites[0]["line"], sites[0]["col"]) == (1, 11)
    assert sites[0]["tied"] == [{"line": 3, "col": 11}]
    assert DNASpec.from_space_doc(result.space_doc).points[0].id == "hidden"
    assert len(DNASpec.from_space_doc(result.space_doc).points) == 2

    ran = _run(result.code, {"hidden": 2, "lr": 0.5}, str(src))
    assert (ran["encoder"], ran["decoder"], ran["lr"]) == (128, 128, 0.5)
    ran = _run(result.code, {}, str(src))
    assert (ran["encoder"], ran["decoder"]) == (64, 64)

    status, out, err = _cli(capsys, "space", src)
    assert status == 0, err
    assert f"tied: hidden at {src}:1:11, also at {src}:3:11" in out
    assert out.count("hidden  ") == 1  # one row for the decision
    status, out, err = _cli(capsys, "space", src, "--json")
    assert json.loads(out)["sites"][0]["tied"] == [{"line": 3, "col": 11}]

    status, out, err = _cli(capsys, "materialize", src, "--dna", '{"hidden": 0}', "-o",
                            tmp_path / "best.py")
    assert status == 0, err
    assert (tmp_path / "best.py").read_text() == MARKED.replace(
        "encoder = 64", "encoder = 32").replace("decoder = 64", "decoder = 32")
    assert src.read_text() == MARKED


@pytest.mark.parametrize("second, differs", [
    ('oneof([32, 64], name="hidden")', "candidates (32 | 64 here, 32 | 64 | 128 there)"),
    ('oneof([32, 64, 128], name="hidden", group="arch")', "group ('arch' here, None there)"),
])
def test_one_name_with_another_spec_is_gv109(tmp_path, capsys, second, differs):
    src = tmp_path / "model.py"
    text = MARKED.replace('oneof([32, 64, 128], name="hidden")\n', second + "\n", 2)
    text = MARKED.split("\n", 1)[0] + "\n" + text.split("\n", 1)[1]
    src.write_text(text)
    status, out, err = _cli(capsys, "convert", src, "-o", tmp_path / "out.py")
    assert status == 1
    assert f"{src}:3:11: GV109 name='hidden' is also the name of the site at line 1, and they " \
           f"differ in {differs}" in err
    assert not (tmp_path / "out.py").exists()


def test_one_name_with_another_default_is_gv109():
    result = compile_source(MARKED.replace("decoder = 64", "decoder = 32"), "model.py")
    assert [(d.code, d.line) for d in result.diagnostics] == [("GV109", 3)]
    assert "differ in default (32 here, 64 there)" in result.diagnostics[0].message


def test_explain_gv109_shows_a_tie(capsys):
    status, out, _ = _cli(capsys, "explain", "GV109")
    assert status == 0 and "one decision" in out
    after = out.split("After:", 1)[1]
    assert compile_source(after.replace("\n    ", "\n").strip() + "\n", "x.py").ok


YAML = ("model:\n"
        "  encoder: 64  # glovec: oneof([32, 64, 128], name=\"width\")\n"
        "  decoder: 64  # glovec: oneof([32, 64, 128], name=\"width\")\n"
        "  depth: 2\n")
READER = ("import yaml\n\nwith open('config.yaml') as f:\n    cfg = yaml.safe_load(f)\n"
          "score = cfg['model']['encoder'] * 0.01  # glovec: objective\n")


def test_a_yaml_tie(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(YAML)
    prog = tmp_path / "prog.py"
    prog.write_text(READER)
    result = compile_source(READER, str(prog), configs=[(str(config), YAML)])
    assert result.ok, result.diagnostics
    [site] = result.space_doc["sites"]
    assert site["id"] == "width" and site["file"] == "config.yaml"
    assert site["tied"] == [{"line": 3, "col": 12, "file": "config.yaml"}]
    entry = result.space_doc["configs"][0]
    assert entry["text"].count("${glovec:width}") == 2
    text = runtime_configs.render(entry["text"], {"width": site}, {"width": 2})
    assert yaml.safe_load(text)["model"] == {"encoder": 128, "decoder": 128, "depth": 2}
    assert result.configs[0].materialize({"width": 0}) == YAML.replace(
        "encoder: 64", "encoder: 32").replace("decoder: 64", "decoder: 32")

    status, out, err = _cli(capsys, "space", prog, "--config", config)
    assert status == 0, err
    assert f"also at {config}:3:12" in out

    bad = YAML.replace("decoder: 64  # glovec: oneof([32, 64, 128]",
                       "decoder: 64  # glovec: oneof([64, 128]")
    result = compile_source(READER, str(prog), configs=[(str(config), bad)])
    assert [(d.code, d.path, d.line) for d in result.diagnostics] == [("GV109", str(config), 3)]


def test_a_yaml_value_tied_to_the_program():
    program = "width = 64  # glovec: oneof([32, 64, 128], name=\"width\")\n"
    result = compile_source(program, "prog.py", configs=[("config.yaml", YAML)])
    assert result.ok, result.diagnostics
    [site] = result.space_doc["sites"]
    assert (site["line"], site.get("file")) == (1, None)
    assert [(t["line"], t.get("file")) for t in site["tied"]] == [(2, "config.yaml"),
                                                                  (3, "config.yaml")]
    assert result.code.count('_gv.oneof("width"') == 1  # the YAML values are read through the file
    assert result.space_doc["configs"][0]["text"].count("${glovec:width}") == 2


def test_materialize_writes_a_tie_in_the_program_and_its_config(tmp_path, capsys):
    prog, config = tmp_path / "prog.py", tmp_path / "config.yaml"
    program = "width = 64  # glovec: oneof([32, 64, 128], name=\"width\")\n"
    prog.write_text(program)
    config.write_text(YAML)
    status, out, err = _cli(capsys, "materialize", prog, "--config", config, "--dna",
                            '{"width": 2}', "-o", tmp_path / "best.py")
    assert status == 0, err
    assert (tmp_path / "best.py").read_text() == program.replace("width = 64", "width = 128")
    assert (tmp_path / "config_materialized.yaml").read_text() == YAML.replace(
        "encoder: 64", "encoder: 128").replace("decoder: 64", "decoder: 128")


def test_the_pytorch_preset_ties_layer_widths(tmp_path, capsys):
    result = compile_source(DDPG, "ddpg.py", rules="pytorch")
    assert result.ok, result.diagnostics
    widths = {s["id"]: s for s in result.space_doc["sites"] if s["id"].endswith(".out_features")
              or s["id"].endswith(".out_features_2")}
    assert sorted(widths) == ["C51.__init__.Linear.out_features",
                              "C51.__init__.Linear.out_features_2",
                              "QNetwork.__init__.Linear.out_features"]
    ddpg = widths["QNetwork.__init__.Linear.out_features"]
    assert (ddpg["line"], ddpg["candidates"], ddpg["default"]) == (9, ["128", "256", "512"], 1)
    # fc2's input and output, fc3's input; not fc1's input (the data) nor fc3's 1 (the output)
    assert [(t["line"], t["col"]) for t in ddpg["tied"]] == [(10, 30), (10, 35), (11, 30)]
    c51 = widths["C51.__init__.Linear.out_features"]
    assert (c51["line"], c51["candidates"], [t["line"] for t in c51["tied"]]) == (
        22, ["60", "120", "240"], [24])
    c51_2 = widths["C51.__init__.Linear.out_features_2"]
    assert (c51_2["line"], c51_2["candidates"], [t["line"] for t in c51_2["tied"]]) == (
        24, ["42", "84", "168"], [26])
    assert not any(s["line"] in (11, 26) and s["col"] > 35 for s in result.space_doc["sites"])

    pytest.importorskip("torch")
    for decisions in ({}, {"QNetwork.__init__.Linear.out_features": 2,
                           "C51.__init__.Linear.out_features": 0,
                           "C51.__init__.Linear.out_features_2": 2}):
        ran = _run(result.code, decisions, str(tmp_path / "ddpg.py"))
        assert [tuple(s) for s in ran["out"]] == [(5, 1), (5, 102)]
    assert ran["q"].fc2.weight.shape == (512, 512)
    assert ran["c51"].network[2].weight.shape == (168, 60)

    written = materialize_source(DDPG, "ddpg.py", {"QNetwork.__init__.Linear.out_features": 0},
                                 rules="pytorch")
    assert written == DDPG.replace("actions, 256)", "actions, 128)").replace(
        "Linear(256, 256)", "Linear(128, 128)").replace("Linear(256, 1)", "Linear(128, 1)")

    src = tmp_path / "ddpg.py"
    src.write_text(DDPG)
    status, out, err = _cli(capsys, "space", src, "--rules", "pytorch", "--explain")
    assert status == 0, err
    assert f"tied: QNetwork.__init__.Linear.out_features at {src}:9:54, also at {src}:10:30, " \
           f"{src}:10:35, {src}:11:30" in out
    assert "line 10's Linear takes 256 as its in_features" in out
    assert f"    tied: {src}:10:30  argument in_features of torch.nn.Linear: tied to the " \
           "out_features 256 of line 9" in out
    assert f"{src}:11:35  x = 1  preset pytorch" in out and "no later layer" in out


def test_a_tie_needs_a_literal_input_size_in_the_same_scope():
    text = ("import torch.nn as nn\n\n"
            "def actor():\n"
            "    return nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 2))\n\n"
            "def critic(h):\n    a = nn.Linear(8, 64)\n    b = nn.Linear(h, 1)\n\n"
            "def separate():\n    a = nn.Linear(8, 32)\n"
            "    return nn.Sequential(nn.Linear(32, 4))\n")
    sites = match_rules("pytorch", text).sites
    widths = [(s.line, s.param, s.tie is not None) for s in sites
              if s.rule.name == "linear-width-tie"]
    assert widths == [(4, "out_features", True), (4, "in_features", True)]


def test_a_fixed_value_keeps_its_whole_tie_out():
    text = ("import torch.nn as nn\n\nclass N(nn.Module):\n    def __init__(self):\n"
            "        self.a = nn.Linear(4, 64)\n"
            "        self.b = nn.Linear(64, 2)  # glovec: fixed\n")
    assert not [s for s in match_rules("pytorch", text).sites if s.rule.name == "linear-width-tie"]


def test_a_rules_file_tie(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\ncall = "torch.nn.Linear"\narg = "out_features"\n'
                     'tie = "torch.nn.Linear.in_features"\nvalues = "[x, x * 4]"\n')
    text = ("import torch.nn as nn\n"
            "layers = [nn.Linear(3, 16), nn.Linear(16, 16), nn.Linear(16, 1)]\n")
    result = compile_source(text, "m.py", rules=str(rules))
    assert result.ok, result.diagnostics
    [site] = result.space_doc["sites"]
    assert site["candidates"] == ["16", "64"] and len(site["tied"]) == 3
    assert materialize_source(text, "m.py", {site["id"]: 1}, rules=str(rules)) == text.replace(
        "16", "64")
    lone = "import torch.nn as nn\nhead = nn.Linear(3, 10)\n"
    result = compile_source(lone, "m.py", rules=str(rules))
    assert result.ok and result.space_doc["sites"] == []
    assert [w.code for w in result.warnings] == ["GV312"]
    assert "no literal out_features is passed again later as torch.nn.Linear.in_features" in \
        result.warnings[0].message
    rules.write_text('[[rule]]\nassign = "x"\ntie = "torch.nn.Linear.in_features"\n'
                     'values = "[x]"\n')
    result = compile_source(text, "m.py", rules=str(rules))
    assert [d.code for d in result.diagnostics] == ["GV304"]


def test_check_counts_a_tie_once(tmp_path, capsys):
    src = tmp_path / "ddpg.py"
    src.write_text(DDPG)
    status, out, err = _cli(capsys, "check", src, "--rules", "pytorch", "--format", "json")
    report = json.loads(out)
    ids = [s["id"] for s in report["sites"]]
    assert ids.count("QNetwork.__init__.Linear.out_features") == 1
    assert report["coverage"]["markers_attached"] == len(ids) == 7
    literals = {(h["line"], h["col"]): h["status"] for h in report["hyperparameters"]}
    # fc2's width is a value of the tie; fc3's 1 (the output) is searched by nothing
    assert (literals[(10, 35)], literals[(11, 35)]) == ("searched", "uncovered")


def test_the_space_editor_edits_every_marker_of_a_tie():
    from glovec.space_edit import set_spec

    edit = set_spec(MARKED.encode(), "model.py", "hidden", 'oneof([64, 256], name="hidden")')
    assert edit.data.decode() == MARKED.replace("oneof([32, 64, 128]", "oneof([64, 256]")
    [site] = [s for s in edit.result.space_doc["sites"] if s["id"] == "hidden"]
    assert site["candidates"] == ["64", "256"] and len(site["tied"]) == 1

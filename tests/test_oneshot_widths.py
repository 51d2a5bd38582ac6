"""Width sharing in PyTorch one-shot runs (runtime/oneshot/widths.py): a `oneof` of plain widths
read by layer constructors builds those layers at the widest candidate and masks them to the
active width, while every other use of the value sees the program's default."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from glovec.cli import main  # noqa: E402
from glovec.runtime.oneshot.widths import Width  # noqa: E402

GRADS = """\
import json, os
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(48, 4)
y = x.sum(dim=1, keepdim=True)
hidden = 4  # glovec: oneof([2, 4, 8])
epochs = 9  # glovec: oneof([9, 12])
model = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
rows = []
for step in range(epochs):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    rows.append(int((model[0].weight.grad.abs().sum(dim=1) > 0).sum()))
    optimizer.step()
score = -loss_fn(model(x), y).item()  # glovec: objective
with open(os.environ["GRADS_OUT"], "w") as fh:
    json.dump({"rows": rows, "hidden": hidden, "type": type(hidden).__name__,
               "shape": list(model[0].weight.shape)}, fh)
"""


def _run(tmp_path, program: str, *args) -> tuple[int, Path, Path]:
    src, study = tmp_path / "model.py", tmp_path / "model.glovec.db"
    src.write_text(program)
    status = main(["run", str(src), "--study", str(study), *map(str, args)])
    return status, src, study


@pytest.mark.parametrize("sandwich", ["0", "1"])
def test_a_sampled_step_trains_the_active_width_only(tmp_path, monkeypatch, capsys, sandwich):
    out = tmp_path / "grads.json"
    monkeypatch.setenv("GRADS_OUT", str(out))
    monkeypatch.setenv("GLOVEC_ONE_SHOT_SANDWICH", sandwich)
    status, _, _ = _run(tmp_path, GRADS, "--one-shot", "spos", "--trials", "3", "--seed", "1",
                        "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert re.search(r"hidden +searched, width sharing \(3 widths; 2 layer\(s\) built at the "
                     r"widest", err), err
    assert re.search(r"epochs +fixed: plain values that no nn.Linear", err), err
    seen = json.loads(out.read_text())
    # The program's own uses of the value see its default; its layers are built at the widest.
    assert (seen["hidden"], seen["shape"]) == (4, [8, 4])
    rows = seen["rows"]
    if sandwich == "0":  # fair: each width active in 3 of the 9 steps, its rows alone trained
        assert sorted(rows) == [2, 2, 2, 4, 4, 4, 8, 8, 8], rows
    else:  # even steps train the widest network, odd ones one width each, each as often
        assert rows[0::2] == [8] * 5, rows
        assert sorted(rows[1::2]) in ([2, 4, 8, 8], [2, 4, 4, 8], [2, 2, 4, 8]), rows


NORM = """\
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(64, 6)
y = torch.tanh(x[:, :2].sum(dim=1, keepdim=True))
width = 8  # glovec: oneof([3, 8, 16])
model = nn.Sequential(nn.Linear(6, width), nn.LayerNorm(width), nn.Tanh(), nn.Linear(width, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(30):
    loss = ((model(x) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def probe():
    model.eval()
    with torch.no_grad():
        return float(model(torch.linspace(-1, 1, 6).view(1, 6)).sum())


score = probe()  # glovec: objective
"""


def test_an_estimate_is_the_narrow_network_the_width_describes(tmp_path, capsys):
    """Each estimate (the objective on the shared weights) equals the output of a network built
    at that width from the first rows and columns of the trained wide weights."""
    status, _, study = _run(tmp_path, NORM, "--one-shot", "spos", "--trials", "3",
                            "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    state = torch.load(str(study) + ".oneshot.pt", weights_only=False)
    (weights,) = state["roots"].values()
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert len(trials) == 3
    probe = torch.linspace(-1, 1, 6).view(1, 6)
    for trial in trials:
        w, objective = int(trial["decisions"]["width"]), trial["objective"]
        narrow = torch.nn.Sequential(torch.nn.Linear(6, w), torch.nn.LayerNorm(w),
                                     torch.nn.Tanh(), torch.nn.Linear(w, 1))
        narrow.load_state_dict({
            "0.weight": weights["0.weight"][:w], "0.bias": weights["0.bias"][:w],
            "1.weight": weights["1.weight"][:w], "1.bias": weights["1.bias"][:w],
            "3.weight": weights["3.weight"][:, :w], "3.bias": weights["3.bias"]})
        with torch.no_grad():
            assert float(narrow(probe).sum()) == pytest.approx(objective, abs=1e-5), w


CONV = """\
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(64, 1, 4, 4)
y = (x.mean(dim=(1, 2, 3)) > 0).long()
channels = 4  # glovec: oneof([2, 4, 8])
act = nn.ReLU()  # glovec: oneof([nn.ReLU(), nn.Tanh()])
model = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), act,
                      nn.Flatten(), nn.Linear(channels * 4 * 4, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)


def accuracy():
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


for step in range(12):
    model.train()
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
score = accuracy()  # glovec: objective
print(f"accuracy {score:.4f}")
"""


def test_conv_widths_flatten_and_resume_from_the_checkpoint(tmp_path, capsys):
    """`channels * 4 * 4` stays a width (the flattened map's features); the supernet is
    checkpointed and a resumed search estimates more architectures without training."""
    status, src, study = _run(tmp_path, CONV, "--one-shot", "spos", "--trials", "3",
                              "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert re.search(r"channels +searched, width sharing \(3 widths; 3 layer\(s\)", err), err
    assert "no model holding the switches" not in err
    status, _, _ = _run(tmp_path, CONV, "--one-shot", "spos", "--trials", "5", "--resume",
                        "--finalists", "1")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "resuming from" in err and "no training" in err
    assert main(["materialize", str(src), "--best", "--study", str(study), "-o",
                 str(tmp_path / "best.py")]) == 0
    best = (tmp_path / "best.py").read_text()
    assert re.search(r"^channels = [248]  # glovec: oneof", best, re.M)


def test_darts_weights_over_widths_and_their_argmax_is_materialized(tmp_path, capsys):
    status, src, study = _run(tmp_path, NORM, "--one-shot", "darts", "--finalists", "0")
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["report", str(study), "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    probs = trial["metrics"]["glovec.alpha"]["width"]
    assert len(probs) == 3 and probs != [pytest.approx(1 / 3)] * 3, probs  # learned
    chosen = str([3, 8, 16][max(range(3), key=lambda i: probs[i])])
    assert trial["decisions"]["width"] == chosen
    assert main(["materialize", str(src), "--best", "--study", str(study)]) == 0
    assert f"width = {chosen}  # glovec:" in capsys.readouterr().out


def test_widths_can_be_kept_at_their_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLOVEC_ONE_SHOT_WIDTHS", "0")
    status, _, study = _run(tmp_path, CONV, "--one-shot", "spos", "--trials", "2",
                            "--finalists", "0")
    err = capsys.readouterr().err
    assert status == 0, err
    assert re.search(r"channels +fixed at its default \(plain values are not shared\)", err), err
    assert re.search(r"act +searched, shared weights", err), err
    state = torch.load(str(study) + ".oneshot.pt", weights_only=False)
    (weights,) = state["roots"].values()
    assert list(weights["0.weight"].shape) == [4, 1, 3, 3]  # the program's own width


def test_a_width_that_sizes_a_tensor_fails_with_a_hint(tmp_path, capsys):
    program = CONV.replace("nn.Flatten(), nn.Linear(channels * 4 * 4, 2))",
                           "nn.Flatten(), nn.Unflatten(1, (channels, 16)), nn.Flatten(), "
                           "nn.Linear(channels * 4 * 4, 2))")
    status, _, _ = _run(tmp_path, program, "--one-shot", "spos", "--trials", "2")
    err = capsys.readouterr().err
    assert status == 1
    assert re.search(r"model.py:7:12: GV516 width sharing built the nn.Linear.* layers that read "
                     r"'channels' at the widest candidate", err), err
    assert "unflatten" in err and "GLOVEC_ONE_SHOT_WIDTHS=0" in err


def test_a_width_is_its_default_int_and_a_multiple_stays_a_width():
    w = Width(16, "hidden", (8, 16, 32))
    assert w == 16 and isinstance(w, int) and w.widest == 32
    flat = w * 4 * 4
    assert flat == 256 and isinstance(flat, Width) and flat.widest == 512
    assert type(w + 1) is int and type(2 * w) is Width and type(w * 0.5) is float
    assert type(pickle.loads(pickle.dumps(w))) is int

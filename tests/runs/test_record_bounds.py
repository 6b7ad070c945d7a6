"""Issue 24's small files that took a machine's memory or raised in every view: names, class
counts, graphs and numbers in a run folder are bounded by the record, damage is one line about
that one file, and folder text is drawn as plain text, never as matplotlib math."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitbench import plots
from fitbench._confusion import confusion_matrix
from fitbench.runs import DamagedFile, read_run
from fitbench.runs import _record as r
from fitbench.web import create_app
from fitbench.web._catalog import MAX_DRAWN_CLASSES as WEB_CLASSES
from tests.diagnosis.crafted import run_folder
from tests.web.conftest import LOCAL
from tests.web.hostile import edit_config, edit_metrics

ROOT = Path(__file__).resolve().parents[2]
MATH = ["$\\frac{a}$", "$" + "{" * 90 + "}" * 90 + "$", "$\\nosuchcommand$", "$^^$", "$x^{$", "a$b$c\\$"]


def fitbench(*args: str, limit_gb: float = 1.0) -> subprocess.CompletedProcess[str]:
    """The command line in a child whose heap is capped (RLIMIT_DATA: JAX's address space is not)."""
    cap = f"import resource; resource.setrlimit(resource.RLIMIT_DATA, ({int(limit_gb * 2**30)},) * 2); "
    code = cap + "import sys; from fitbench.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def architecture(nodes: list[dict]) -> dict:
    return {"name": "model", "kind": "Functional", "nodes": nodes, "trainable_params": 10,
            "non_trainable_params": 0, "optimizer_params": 0, "traced": True, "summary": "Model: model\n"}


def layer(name: str, inputs: list[str] = (), kind: str = "Dense") -> dict:
    return {"name": name, "kind": kind, "output_shape": "(None, 10)", "params": 10, "built": True,
            "inputs": list(inputs)}


def test_class_names_with_newlines_are_damage_of_the_config(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "newlines")
    edit_config(folder, dataset={"class_names": ["a" + "\n" * 5000, "b"]})  # 4 kB: 21.5 GB in a report
    assert (folder / "config.yaml").stat().st_size < 20_000
    assert read_run(folder).problems[0] == (
        "config.yaml is damaged (dataset.class_names.0: String should have at most 200 characters)")
    edit_config(folder, dataset={"class_names": ["a\nb", "c"]})
    assert read_run(folder).problems[0] == (
        "config.yaml is damaged (dataset.class_names.0: holds a line break or another control character)")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=5))
def test_every_class_name_the_record_accepts_is_short_and_one_line(names: list[str]):
    try:
        config = r.RunConfig.model_validate({"name": "x", "dataset": {"class_names": names}})
    except ValueError:
        return
    for name in config.dataset["class_names"]:
        assert 0 < len(name) <= r.MAX_NAME
        assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)  # newline, ESC, NUL, bidi


def test_math_text_in_class_layer_and_run_names_draws_as_plain_text(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "math")
    edit_config(folder, dataset={"class_names": MATH[:2]})
    (folder / "architecture.json").write_text(json.dumps(architecture(
        [layer(MATH[2], kind=MATH[3]), layer(MATH[4], [MATH[2]], kind=MATH[5])])))
    result = fitbench("report", str(folder))
    assert result.returncode == 0, result.stderr  # old main: ParseSyntaxException, a traceback
    assert "Traceback" not in result.stderr


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(st.sampled_from("$\\{}^_ab"), min_size=1, max_size=40), min_size=2, max_size=2))
def test_any_class_names_draw(names: list[str]):
    matrix = confusion_matrix([[3, 1], [0, 4]], names, "val")
    assert plots.png_bytes(plots.plot_confusion_matrix(matrix).figure).startswith(b"\x89PNG")


def test_700_classes_are_refused_by_the_report_as_by_the_web_page(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "many-classes")
    n = 700

    def many(metrics: dict) -> None:
        matrix = [[int(i == j) for j in range(n)] for i in range(n)]
        metrics["splits"] = {"val": {"split": "val", "n": n, "accuracy": 1.0, "macro_f1": 1.0,
                                     "per_class_f1": [1.0] * n, "confusion_matrix": matrix}}

    edit_metrics(folder, many)
    assert (folder / "metrics.json").stat().st_size < r.MAX_BYTES[r.METRICS]
    started = time.monotonic()
    result = fitbench("report", str(folder))  # old main: over 7 GB in 30 s
    assert result.returncode == 2 and time.monotonic() - started < 60
    assert result.stderr.strip() == (f"fitbench: error: many-classes: metrics.json holds 700 classes; "
                                     f"a report draws at most {r.MAX_DRAWN_CLASSES} (the web page too)")
    assert WEB_CLASSES is r.MAX_DRAWN_CLASSES


def test_a_dense_graph_is_damage_before_any_drawing(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "dense-graph")
    nodes = [layer(f"l{k}", [f"l{j}" for j in range(k)]) for k in range(200)]  # 167 kB: 140 s, then MemoryError
    (folder / "architecture.json").write_text(json.dumps(architecture(nodes)))
    started = time.monotonic()
    with pytest.raises(DamagedFile, match=r"^architecture.json is damaged \(nodes.65.inputs: Tuple should have at most 64"):
        read_run(folder).architecture
    assert time.monotonic() - started < 5


def test_a_graph_too_large_to_draw_is_a_note_not_a_figure():
    nodes = [layer("l0")] + [layer(f"l{k}", [f"l{j}" for j in range(max(0, k - 3), k)]) for k in range(1, 300)]
    arch = plots.Architecture("m", "Functional", [plots.LayerNode(**node) for node in nodes], 1, 0, 0, True)
    started = time.monotonic()
    assert plots.drawing_problem(arch) == ("300 layers and 894 connections; a diagram draws at most 300 layers "
                                           "and 600 connections")
    with pytest.raises(ValueError, match="a diagram draws at most"):
        plots.plot_architecture(arch)
    assert time.monotonic() - started < 1


def test_a_dangling_input_is_one_line_of_damage(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "dangling")
    (folder / "architecture.json").write_text(json.dumps(architecture([layer("a"), layer("b", ["ghost"])])))
    with pytest.raises(DamagedFile, match=r"^architecture.json is damaged \(layer 'b' takes 'ghost', which is no layer"):
        read_run(folder).architecture
    result = fitbench("report", str(folder))
    assert result.returncode == 0, result.stderr  # old main: KeyError
    assert "which is no layer of the model" in Path(result.stdout.strip()).read_text()


@pytest.fixture
def huge_number(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    run_folder(runs, "fine")
    folder = run_folder(runs, "huge-pid")
    (folder / "status.json").write_text('{"state": "complete", "format": 1, "pid": ' + "9" * 5000 + "}")
    return runs


def test_a_5000_digit_number_is_damage_of_that_file_in_the_listing(huge_number: Path):
    result = fitbench("runs", "--runs-dir", str(huge_number))
    assert result.returncode == 0, result.stderr  # old main: ValueError (int-to-str limit), a traceback
    assert "status.json is damaged (a number of more than 19 digits)" in result.stdout
    assert "fine" in result.stdout


def test_a_5000_digit_number_answers_no_500_on_the_web(huge_number: Path, tmp_path: Path):
    client = TestClient(create_app(huge_number, cache_dir=tmp_path / "cache"), base_url=LOCAL)
    for url in ("/", "/api/runs", "/draw", "/api/runs/huge-pid", "/report/fine"):
        assert client.get(url).status_code in (200, 409, 422), url  # old main: 500 for every run
    listed = {run["id"]: run for run in client.get("/api/runs").json()}
    assert listed.keys() == {"fine", "huge-pid"}


@settings(max_examples=40, deadline=None)
@given(file=st.sampled_from([r.STATUS, r.METRICS, r.ENVIRONMENT, r.CONFIG]),
       digits=st.integers(20, 6000), sign=st.sampled_from(["", "-"]))
def test_an_extreme_integer_anywhere_is_damage_of_that_one_file(tmp_path_factory, file: str, digits: int, sign: str):
    folder = run_folder(tmp_path_factory.mktemp("runs"), "extreme")
    number = sign + "7" * digits
    text = (folder / file).read_text() if (folder / file).exists() else "{}"
    if file == r.CONFIG:
        (folder / file).write_text(text + f"extra: {number}\n")
    else:
        (folder / file).write_text(text.rstrip().removesuffix("}") + f'{"," if text.strip() != "{}" else ""} "extra": {number}}}')
    problems = read_run(folder).problems
    assert f"{file} is damaged (a number of more than 19 digits)" in problems


@pytest.mark.parametrize("file", [r.METRICS, r.CONFIG, r.STATUS, r.HISTORY])
def test_a_file_replaced_by_a_folder_is_one_line_of_damage(tmp_path: Path, file: str):
    folder = run_folder(tmp_path / "runs", "folder-for-file")  # found by the fuzzer: IsADirectoryError
    (folder / file).unlink()
    (folder / file).mkdir()
    assert f"{file} is not a regular file" in read_run(folder).problems


def test_a_hostile_key_is_named_on_one_line(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "key")  # found by the fuzzer: a key's newline split the line
    edit_metrics(folder, lambda m: m["splits"].__setitem__("a\n\x1b[2J" + "x" * 100, {}))
    (problem,) = [p for p in read_run(folder).problems if p.startswith(r.METRICS)]
    assert problem.startswith("metrics.json is damaged (splits.a\\n\\x1b[2Jxxx") and "\n" not in problem
    assert len(problem) < 200


@pytest.mark.parametrize(("section", "value", "line"), [
    ("training", {"early_stopping": "a" * 300}, "training.early_stopping: expected a mapping"),
    ("model", {"layers": [3, "dense"]}, "model.layers: expected a list of layer names or mappings"),
])
def test_a_nested_section_of_the_wrong_shape_is_damage(tmp_path: Path, section: str, value: dict, line: str):
    folder = run_folder(tmp_path / "runs", "shape")  # found by the fuzzer: AttributeError in diagnose and report
    edit_config(folder, **{section: value})
    assert read_run(folder).problems[0] == f"config.yaml is damaged ({line}{' (patience, monitor...) or null' if section == 'training' else ''})"
    result = fitbench("diagnose", str(folder))
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr, result.stderr

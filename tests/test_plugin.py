"""The plugin as a user meets it: options, start-up errors, reports, xdist.

Driven with pytester. The option tests run in-process and train nothing; the tests
marked ``training`` run the real experiment file in a subprocess, on the smoke tier and
LeNet-5 only, so that they take seconds per session.
"""

import json
import re
from pathlib import Path

import pytest

# Copied into each pytester directory under another name: in-process runs must not
# collide with this session's own import of tests/test_experiment.py.
EXPERIMENT_FILE = Path(__file__).with_name("test_experiment.py")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--freezecheck-min-accuracy=1.5"], "min_accuracy expected a number in (0, 1]. Received: min_accuracy=1.5"),
        (["--freezecheck-min-accuracy=0"], "min_accuracy expected a number in (0, 1]"),
        (["--freezecheck-min-accuracy=high"], "--freezecheck-min-accuracy expected a number. Received: 'high'"),
        (["--freezecheck-curve-band=-0.01"], "band expected a number in [0, 1]. Received: band=-0.01"),
        (["--freezecheck-curve-level=2"], "level expected a number in (0, 1]"),
        (["--freezecheck-curve-max-lag=-1"], "max_lag expected a non-negative integer"),
        (["--freezecheck-seed=-3"], "--freezecheck-seed expected a non-negative integer. Received: -3"),
        (["--freezecheck-seed=x"], "--freezecheck-seed expected an integer. Received: 'x'"),
        (["--freezecheck-seeds=0"], "--freezecheck-seeds expected a positive integer. Received: 0"),
        (["--freezecheck-training=jit"], "--freezecheck-training expected one of loop, fit. "
                                         "Received: 'jit'"),
        (["--freezecheck-alpha=1"], "alpha expected a number in (0, 1). Received: alpha=1.0"),
    ],
)
def test_bad_option_is_a_usage_error_at_start_up(pytester, args, message):
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--freezecheck-tier=huge"], "experiment 'lenet5': tier expected one of full, smoke. "
                                      "Received: tier='huge'"),
        (["--freezecheck-families=blocks,cats"], "families expected a comma-separated list of "
                                                 "single, blocks, inits, init-baselines, or all. "
                                                 "Received: 'blocks,cats'"),
        (["--freezecheck-models=alexnet"], "expected one of lenet, lenet5. Received: model='alexnet'"),
        (["--freezecheck-dataset=cifar10"], "dataset expected one of mnist, fashion-mnist. "
                                            "Received: dataset='cifar10'"),
        (["--freezecheck-dataset=fashion-mnist", "--freezecheck-tier=smoke"],
         "dataset 'fashion-mnist' runs on the full tier only"),
    ],
)
def test_a_value_the_experiment_does_not_have_is_a_usage_error_before_training(
        pytester, args, message):
    """Checked by each experiment in the session, at collection, before anything trains."""
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


@pytest.mark.parametrize("option", ["--freezecheck-tier=smoke", "--freezecheck-seed=3",
                                    "--freezecheck-min-accuracy=0.5"])
def test_an_option_for_experiments_where_none_was_collected_is_a_usage_error(pytester, option):
    """It would change nothing: said, not ignored."""
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (f"freezecheck: {option.split('=')[0]}: no freezecheck experiment was collected"
            in result.stderr.str())


def test_under_xdist_too_it_is_the_usage_error_not_a_crash(pytester):
    pytester.makepyfile(test_a="def test_one(): pass\ndef test_two(): pass",
                        test_b="def test_three(): pass")
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider",
                                           "--freezecheck-tier=smoke")
    said = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, said
    assert "--freezecheck-tier: no freezecheck experiment was collected" in said
    assert "INTERNALERROR" not in said


def test_bad_ini_value_is_a_usage_error_naming_the_ini_key(pytester):
    pytester.makeini("[pytest]\nfreezecheck_curve_max_lag = two\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini freezecheck_curve_max_lag expected an integer (" in result.stderr.str()
    assert "'two'" in result.stderr.str()


def test_ini_directories_are_relative_to_the_ini_file(pytester, monkeypatch):
    """As pytest's own path options: an ini key is read from the ini file's directory,
    the same option on the command line from where pytest was started."""
    pytester.makeini("[pytest]\nfreezecheck_store_dir = runs\n")
    pytester.makeconftest(
        "from freezecheck.plugin.keys import STORE_KEY\n"
        "def pytest_report_header(config):\n"
        "    return f'store: {config.stash[STORE_KEY][0]}'\n")
    pytester.makepyfile("def test_nothing(): pass")
    sub = pytester.mkdir("sub")
    monkeypatch.chdir(sub)
    result = pytester.runpytest(str(pytester.path))
    result.stdout.fnmatch_lines([f"store: {pytester.path / 'runs'}"])
    result = pytester.runpytest(str(pytester.path), "--freezecheck-store-dir=here")
    result.stdout.fnmatch_lines([f"store: {sub / 'here'}"])


@pytest.mark.parametrize("option", ["--freezecheck-report-dir", "--freezecheck-store-dir"])
def test_directory_that_cannot_be_written_is_a_usage_error(pytester, option):
    pytester.makepyfile("def test_nothing(): pass")
    (pytester.path / "a-file").write_text("not a directory")
    result = pytester.runpytest(f"{option}=a-file/sub")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{option}: " in result.stderr.str()
    assert "is not a directory" in result.stderr.str()


def test_options_are_listed_in_their_own_help_group(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*frozen-layer reproducibility suite*", "*--freezecheck-data-dir*"])


def test_plugin_import_does_not_import_tensorflow(pytester):
    result = pytester.runpython_c(
        "import sys, freezecheck.plugin; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result.stdout.fnmatch_lines(["False False"])


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_missing_data_directory_is_one_usage_error_before_anything_runs(pytester, tmp_path,
                                                                        workers):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    result = pytester.runpytest_subprocess(*workers, f"--freezecheck-data-dir={tmp_path / 'absent'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # Under xdist, a worker's collection finds it and the controller stops with it.
    error = result.stderr.str() + result.stdout.str()
    assert error.count("does not exist") == 1, error
    assert "freezecheck: --freezecheck-data-dir: MNIST data directory" in error
    assert "Traceback" not in error + result.stdout.str()
    assert not (pytester.path / "freezecheck-report").exists()


def test_incomplete_data_directory_is_a_usage_error_naming_the_missing_file(pytester, tmp_path):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    result = pytester.runpytest(f"--freezecheck-data-dir={tmp_path}",
                                "--freezecheck-dataset=fashion-mnist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "missing train-labels-idx1-ubyte" in result.stderr.str()


def test_an_unusable_data_set_fails_the_tests_that_train_and_names_the_fix(pytester, tmp_path):
    """Found at start-up but wrong inside (here: a truncated file): the tests that need
    it fail, each saying why, and nothing trains."""
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\0\0\x08")
    result = pytester.runpytest(
        f"--freezecheck-data-dir={tmp_path}",
        "test_copied_experiment.py::TestLenet5::test_trainable_weights_changed[lenet5[none]]",
        "test_copied_experiment.py::TestLenet5::test_reaches_accuracy_gate[lenet5[none]]",
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*MNIST refused, nothing trained*"])
    assert not (pytester.path / "freezecheck-report").exists()


def run_smoke(pytester, data_dir, *args):
    """Run the LeNet-5 part of the experiment on the smoke tier in a subprocess."""
    report = pytester.path / f"report{len(list(pytester.path.glob('report*')))}"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--dist=loadgroup", "-k", "lenet5",
        "--freezecheck-tier=smoke", f"--freezecheck-data-dir={data_dir}",
        f"--freezecheck-report-dir={report}", *args,
    )
    return result, json.loads((report / "results.json").read_text())


@pytest.mark.training
def test_results_are_bitwise_identical_with_and_without_workers(pytester, mnist_dir):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    pytester.makeconftest(
        # Count trainings across processes: a line per call, appended to one file.
        "import freezecheck.train.training as t\n"
        "_train = t.train\n"
        "def counted(variant, recipe, data, *args, **kwargs):\n"
        "    with open('trainings.log', 'a') as log: log.write(variant.id + '\\n')\n"
        "    return _train(variant, recipe, data, *args, **kwargs)\n"
        "t.train = counted\n"
    )
    serial, serial_results = run_smoke(pytester, mnist_dir, "-n", "0")
    serial.assert_outcomes(passed=22, skipped=6)  # references: full tier only
    log = pytester.path / "trainings.log"
    assert sorted(log.read_text().split()) == sorted(
        ["lenet5[none]", "lenet5[conv1]", "lenet5[conv2]",
         "lenet5[fc1]", "lenet5[fc2]", "lenet5[out]"])
    log.unlink()

    parallel, parallel_results = run_smoke(pytester, mnist_dir, "-n", "2")
    parallel.assert_outcomes(passed=22, skipped=6)
    assert len(log.read_text().split()) == 6, "a variant was trained more than once"

    def essentials(results):
        return {r["variant"]: (r["val_accuracy"], r["train_accuracy"], r["test_accuracy"],
                               r["weights_after_sha256"]) for r in results["runs"]}

    assert len(serial_results["runs"]) == 6
    assert essentials(serial_results) == essentials(parallel_results)
    def outcomes(results):
        return {test: entry["outcome"] for test, entry in results["tests"].items()}

    assert outcomes(serial_results) == outcomes(parallel_results)
    assert {e["worker"] for e in serial_results["tests"].values()} == {"main"}
    assert {e["worker"] for e in parallel_results["tests"].values()} <= {"gw0", "gw1"}


@pytest.mark.training
def test_report_files_and_junit_properties_are_written_once_under_xdist(pytester, mnist_dir):
    pytester.makepyfile(test_copied_experiment=EXPERIMENT_FILE.read_text())
    result, results = run_smoke(pytester, mnist_dir, "-n", "2", "--junitxml=junit.xml",
                                "-k", "lenet5 and (none or fc2)")
    result.assert_outcomes(passed=6, skipped=2)  # references: full tier only
    report = next(pytester.path.glob("report*"))
    assert sorted(p.name for p in report.iterdir()) == [
        "curves.csv", "curves.png", "index.html", "results.json", "summary.md"]
    assert results["schema_version"] == 4 and results["dataset"] == "mnist"
    assert [r["variant"] for r in results["runs"]] == ["lenet5[fc2]", "lenet5[none]"]
    csv_rows = (report / "curves.csv").read_text().splitlines()
    assert csv_rows[0] == "variant,seed,epoch,val_accuracy,train_accuracy" and len(csv_rows) == 1 + 2 * 2
    assert (report / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (report / "summary.md").read_text()
    assert summary.startswith(f"# freezecheck: {results['environment']}, MNIST, smoke tier")
    assert "| `lenet5[none]` (baseline) | 0 |" in summary
    assert "| `lenet5[fc2]` | 0 |" in summary and "meets the gate" in summary
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="largest_curve_deviation"' in junit
    assert 'name="final_val_accuracy[lenet5[fc2]]"' in junit
    # each test's verdict, a skip with its reason
    assert junit.count('name="freezecheck_verdict" value="passed"') == 6
    assert junit.count('name="freezecheck_verdict" value="skipped: reference curves are kept '
                       'for the full tier on MNIST only"') == 2
    # a line per run as it arrives, then the table: header, baseline first, verdicts, counts
    result.stdout.fnmatch_lines(["freezecheck: lenet5[[]*] seed 0: val accuracy *% after 2 epochs, * s"])
    result.stdout.fnmatch_lines([
        "*= freezecheck =*", "freezecheck: py3*-tf*, MNIST, smoke tier", "  TensorFlow *; seed 0",
        "  gates: final validation accuracy >= 90.0%*", "", "lenet5  (gate 90.0%)", "variant *verdict",
        "---*", "lenet5[[]none] (baseline) * meets the gate",
        "lenet5[[]fc2] * meets the gate", "", "variants: 2 meet the gate", "tests: 6 passed, 2 skipped",
        "report: *index.html"])


def test_a_variants_tests_stay_on_one_worker_and_baselines_go_first(pytester):
    """--dist=loadgroup with the plugin's ordering: every test of one variant on the
    worker that trains it. (pytest 9.2 with pytest-xdist 3.8 silently split groups.)"""
    pytester.makepyfile(test_grouped="""
        import time
        import pytest
        from freezecheck.generated import variant_cases
        from freezecheck.builtin.experiment import EXPERIMENTS
        from freezecheck.builtin.families import experiment

        @pytest.mark.parametrize("variant", variant_cases(experiment(),
                                                          lambda v: EXPERIMENTS[v.model]))
        @pytest.mark.parametrize("check", ["first", "second", "third"])
        def test_check(check, variant):
            time.sleep(0.05)
    """)
    result = pytester.runpytest_subprocess("-n", "2", "-v", "-p", "no:cacheprovider",
                                           "--dist=loadgroup", "--no-loadscope-reorder")
    result.assert_outcomes(passed=33)
    ran = re.findall(r"^\[(gw\d)\] \[ *\d+%\] PASSED test_grouped\.py::test_check\[\w+-(\S+\])\]@",
                     result.stdout.str(), re.M)
    workers = {}
    for worker, variant in ran:
        workers.setdefault(variant, set()).add(worker)
    assert len(ran) == 33 and all(len(w) == 1 for w in workers.values()), workers
    first_of_each_worker = {w: v for w, v in reversed(ran)}
    assert set(first_of_each_worker.values()) == {"lenet[none]", "lenet5[none]"}


def test_every_built_in_id_is_a_k_expression_and_no_part_of_another():
    from freezecheck.builtin.families import FAMILIES, variants

    ids = [v.id for v in variants(FAMILIES)]
    ident = re.compile(r"(\w|:|\+|-|\.|\[|\]|\\|/)+")  # one ident of pytest's -k grammar
    assert len(set(ids)) == len(ids)
    for i, one in enumerate(ids):
        assert ident.fullmatch(one), one
        assert not any(one in other for other in ids[:i] + ids[i + 1:]), one


def test_a_variant_id_given_to_k_selects_its_own_tests_under_workers(pytester):
    """The ids a user copies from a report, given to -k verbatim under -n 2: each
    selects exactly its own tests (the earlier form, lenet5-frozen=conv1, was a -k
    syntax error that xdist turned into an INTERNALERROR)."""
    pytester.makepyfile(test_ids="""
        import pytest
        from freezecheck.builtin.families import FAMILIES, variants
        from freezecheck.generated import variant_cases

        @pytest.mark.parametrize("variant", variant_cases(variants(FAMILIES)))
        @pytest.mark.parametrize("check", ["first", "second"])
        def test_check(check, variant):
            pass
    """)
    for variant_id in ("lenet[none]", "lenet5[conv1]", "lenet[conv2+fc1]",
                       "lenet5[conv2:normal-0.001]", "lenet[none:he_normal]"):
        result = pytester.runpytest_subprocess("-n", "2", "-v", "-p", "no:cacheprovider",
                                               "-k", variant_id)
        assert result.ret == 0, result.stdout.str()
        ran = set(re.findall(r"PASSED test_ids\.py::test_check\[(\w+)-(\S+\])\]",
                             result.stdout.str()))
        assert ran == {("first", variant_id), ("second", variant_id)}, (variant_id, ran)


FAMILIES_FILE = Path(__file__).with_name("test_families.py")


def test_families_run_only_when_asked_for(pytester):
    pytester.makepyfile(test_copied_families=FAMILIES_FILE.read_text())
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*deselected*"])


def test_families_option_selects_variants_and_tests(pytester):
    pytester.makepyfile(test_copied_families=FAMILIES_FILE.read_text())
    result = pytester.runpytest("--collect-only", "-q", "--freezecheck-families=blocks",
                                "--freezecheck-models=lenet5")
    ids = [line for line in result.stdout.lines if "::" in line]
    # 9 blocks, each with the five generated tests; the baseline is test_experiment.py's,
    # lenet's blocks are not asked for.
    assert len(ids) == 9 * 5, "\n".join(ids)
    assert any("TestLenet5::test_curve_follows_baseline[lenet5[conv1+conv2+fc1+fc2]]" in i
               for i in ids)
    assert not any("TestLenet::" in i or "[lenet5[none]]" in i for i in ids)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
@pytest.mark.parametrize("randomly", [[], ["-p", "no:randomly"]])
def test_an_unrelated_project_runs_as_without_freezecheck(pytester, workers, randomly):
    """Installed but unused, the plugin changes nothing: the same tests in the same
    order with the same outcomes, no freezecheck section or report directory, and
    neither numpy nor TensorFlow imported. Two files of different sizes, so that any
    reordering between files (a scheduler putting the larger first) shows."""
    pytester.makepyfile(test_a="""
        def test_only(): pass
    """, test_b="""
        import sys

        def test_b(): pass
        def test_a(): assert False
        def test_c():
            assert not {"numpy", "tensorflow", "keras"} & set(sys.modules), sorted(
                m for m in sys.modules if m.split(".")[0] in {"numpy", "tensorflow", "keras"})
        def test_d(): pass
        def test_e(): pass
        def test_f(): pass
        def test_g(): pass
    """)

    def run(*extra):
        result = pytester.runpytest_subprocess(*workers, *randomly, "-v", "-p",
                                               "no:cacheprovider", *extra)
        lines = []
        for line in result.stdout.lines:
            test = re.search(r"(test_\w\.py::test_\w+)", line)
            outcome = re.search(r"\b(PASSED|FAILED)\b", line)
            if test and outcome and not line.startswith("FAILED "):
                lines.append((test.group(1), outcome.group(1)))
        # Under xdist, which of two workers finishes first is not the plugin's doing.
        lines = sorted(lines) if workers else lines
        collected = pytester.runpytest_subprocess(*randomly, "--collect-only", "-q",
                                                  "-p", "no:cacheprovider", *extra)
        return result, lines, [line for line in collected.outlines if "::" in line]

    with_plugin, seen, order = run()
    without, expected, expected_order = run("-p", "no:freezecheck")
    assert seen == expected and len(seen) == 8, (seen, expected)
    assert order == expected_order and order[0] == "test_a.py::test_only", (order, expected_order)
    assert with_plugin.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    assert ("test_b.py::test_c", "PASSED") in seen
    assert "freezecheck" not in with_plugin.stdout.str().split("plugins:")[-1].replace(
        "freezecheck-", "")
    assert not list(pytester.path.glob("freezecheck-*"))

"""freezecheck identical, whose groups are what docs/versions.md states as bitwise
identity across environments: on small hand-made reports."""

import json

from freezecheck.cli.main import main


def run(variant, curve, weights="w0"):
    return {"variant": variant, "seed": 0, "val_accuracy": curve, "train_accuracy": curve,
            "test_accuracy": curve[-1], "final_val_accuracy": curve[-1],
            "epochs_to_level": None, "weights_after_sha256": {"out/kernel": weights},
            "versions": {"tensorflow": "2.21.0"}}


def report(tmp_path, environment, *runs):
    directory = tmp_path / environment
    directory.mkdir()
    (directory / "results.json").write_text(json.dumps({"environment": environment,
                                                         "runs": list(runs)}))
    return directory


def test_environments_group_only_when_every_curve_and_weight_is_equal(tmp_path, capsys):
    same = [run("m[none]", [0.98, 0.99]), run("m[out]", [0.97, 0.99])]
    a = report(tmp_path, "py311-tf217", *same)
    b = report(tmp_path, "py311-tf218", *same)
    other_weights = report(tmp_path, "py311-tf219", same[0], run("m[out]", [0.97, 0.99], "w1"))
    moved = report(tmp_path, "py311-tf215", same[0], run("m[out]", [0.97, 0.9862]))

    main(["identical", str(a), str(b), str(other_weights), str(moved)])
    text = capsys.readouterr().out
    assert "group 1: py311-tf217, py311-tf218 (2 runs each" in text
    assert "group 2: py311-tf219" in text and "group 3: py311-tf215" in text
    assert "| m[out] | 0.00 / +0.00 / never -> never | 0.38 / -0.38 / never -> never |" in text

    main(["identical", str(a), str(b)])
    assert "One group: no run moved" in capsys.readouterr().out


def test_each_environment_is_held_against_its_own_references(tmp_path, capsys):
    references = tmp_path / "references"
    for environment, curve in [("py311-tf217", [0.98, 0.99]), ("py311-tf216", [0.98, 0.9874])]:
        (references / environment).mkdir(parents=True)
        (references / environment / "m[none].json").write_text(json.dumps(
            {"val_accuracy": curve, "test_accuracy": curve[-1],
             "versions": {"tensorflow": environment[-3] + "." + environment[-2:]}}))
    reports = [report(tmp_path, e, run("m[none]", [0.98, 0.99]))
               for e in ("py311-tf217", "py311-tf216")]

    main(["identical", *map(str, reports), "--references", str(references)])
    text = capsys.readouterr().out
    assert "| py311-tf217 | TensorFlow 2.17 | 1 of 1 | 0.00 |" in text
    assert "| py311-tf216 | TensorFlow 2.16 | 0 of 1 | 0.26 |" in text

    missing = report(tmp_path, "py311-tf218", run("m[none]", [0.98, 0.99]))
    assert main(["identical", str(missing), "--references", str(references)]) == 2
    assert "no reference for m[none] in py311-tf218" in capsys.readouterr().err

"""The built-in experiment's findings command: tables and plots from measurement rows;
the false-alarm and replication tables of its measurements."""

import json

from freezecheck.builtin import findings
from freezecheck.builtin.commands import curve_tolerance, main
from freezecheck.describe.variants import parse_id
from freezecheck.reporting import audits
from freezecheck.reporting.measurements import group


def row(variant, seed, final, dataset="mnist", epochs=(0.97, 0.985)):
    model = parse_id(variant)[0]
    return {"environment": "envA", "dataset": dataset, "variant": variant, "model": model,
            "seed": seed, "val_accuracy": [*epochs, final], "final_val_accuracy": final}


def test_summary_compares_each_variant_with_its_baseline_in_family_order():
    rows = [row("lenet5[none]", s, 0.990 + s / 1000) for s in range(5)]
    rows += [row("lenet5[conv1+conv2]", 0, 0.98), row("lenet5[fc1]", 0, 0.9885)]
    by_variant = {v: runs for v, runs in group(rows)[("envA", "mnist")].items()}
    summary = findings.summary_rows(by_variant, "lenet5", level=0.985)
    assert [r["variant"] for r in summary] == [
        "lenet5[none]", "lenet5[fc1]", "lenet5[conv1+conv2]"]
    baseline, fc1, block = summary
    assert baseline["centre"] == 0.992 and baseline["seeds"] == 5  # olympic mean
    assert round(fc1["difference"], 2) == -0.35 and block["family"] == "blocks"
    lines = findings.markdown(summary, 0.99, 0.985)
    assert "| `lenet5[fc1]` | single | 1 | 98.85% (below gate) |  | -0.35 | 2 |" in lines


def test_fashion_gate_is_measured_from_the_baseline():
    rows = [row("lenet[none]", s, a, "fashion-mnist") for s, a in enumerate((0.9213, 0.9198))]
    by_variant = group(rows)[("envA", "fashion-mnist")]
    assert findings.gate("fashion-mnist", "lenet", by_variant) == 0.919
    assert findings.gate("mnist", "lenet", by_variant) == 0.99


def test_the_command_writes_tables_and_one_plot_per_data_set(tmp_path):
    rows = [row("lenet5[none]", 0, 0.991), row("lenet5[conv2:normal-10]", 0, 0.989),
            row("lenet5[none]", 0, 0.91, "fashion-mnist")]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["findings", str(path), "--out", str(tmp_path / "out")]) == 0
    assert not (tmp_path / "out" / "findings.md").exists()  # plots only, unless asked
    assert main(["findings", str(path), "--out", str(tmp_path / "out"),
                 "--tables", str(tmp_path / "tables.md")]) == 0
    text = (tmp_path / "tables.md").read_text()
    assert "## MNIST, lenet5 (envA; gate 99.0%)" in text
    assert "## Fashion-MNIST, lenet5 (envA; gate 91.0%)" in text
    for name in ("findings-envA-mnist.png", "findings-envA-fashion-mnist.png"):
        assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"


def test_false_alarms_need_two_groups_of_seeds(tmp_path, capsys):
    rows = [row("lenet5[none]", s, 0.990 + (s % 3) / 1000, epochs=(0.97 + s / 1000, 0.985))
            for s in range(10)]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["false-alarms", str(path), "--alphas", "0.01"]) == 0
    assert "| envA | mnist | 10 | 0.01 | " in capsys.readouterr().out


def test_replication_reports_every_variant_with_ten_seeds_and_the_totals():
    import numpy as np

    rng = np.random.default_rng(0)
    base = 1 - 0.1 * np.exp(-np.arange(1, 11) / 2)
    rows = []
    for variant, shift in (("lenet5[none]", 0.0), ("lenet5[fc1]", -0.003),
                           ("lenet5[out]", 0.0)):
        seeds = range(10) if variant != "lenet5[out]" else range(5)
        for seed in seeds:
            curve = [round(float(a), 4) for a in base + shift + rng.normal(0, 0.002, 10)]
            rows.append({"environment": "envA", "dataset": "mnist", "variant": variant,
                         "seed": seed, "val_accuracy": curve, "final_val_accuracy": curve[-1]})
    lines = audits.replication(rows, 0.01, curve_tolerance)
    assert sum("`lenet5[fc1]`" in line for line in lines) == 1
    assert not any("`lenet5[out]`" in line for line in lines)  # five seeds only
    assert any(line.startswith("| 2 at five seeds | 0 | ") for line in lines), lines
    assert any(line.startswith("| 10 at one seed | 0 | ") for line in lines), lines


def test_sentences_carry_intervals_at_ten_seeds_and_say_exploratory_below():
    """A variant at ten paired seeds gets its gaps' intervals, its claims and its rate;
    at five, its range only, marked exploratory."""
    import numpy as np

    from freezecheck.builtin import statements, tabulate

    rng = np.random.default_rng(4)
    base = 1 - 0.02 * np.exp(-np.arange(1, 11) / 2)
    rows = []
    for variant, seeds, shift, delay in (("lenet5[none]", 10, 0.0, 0), ("lenet5[fc1]", 10, -0.006, 2),
                                         ("lenet5[conv1+conv2]", 5, -0.01, 0)):
        for seed in range(seeds):
            curve = np.concatenate([np.full(delay, 0.98), base[:10 - delay]]) + shift
            curve = [round(float(a), 4) for a in curve + rng.normal(0, 0.0005, 10)]
            rows.append({"environment": "envA", "dataset": "mnist", "variant": variant,
                         "seed": seed, "val_accuracy": curve, "final_val_accuracy": curve[-1]})
    measured = tabulate.tabulate(rows)
    page = ("<!-- seeds envA mnist single -->\n<!-- /seeds -->\n"
            "<!-- seeds envA mnist blocks -->\n<!-- /seeds -->\n")
    rendered = statements.render_page(page, measured, rows)
    fc1 = next(line for line in rendered.splitlines() if line.startswith("- `lenet5[fc1]`"))
    assert fc1.startswith("- `lenet5[fc1]` (10 seeds): mean-over-epochs gap −")
    assert "(99% CI −" in fc1 and "**leaves** against the margin of ±0.15 points" in fc1
    assert "Epochs to 99.0%:" in fc1 and ": later" in fc1
    block = next(line for line in rendered.splitlines() if "conv1+conv2" in line)
    assert "(5 seeds, exploratory)" in block and "CI" not in block and "**" not in block
    assert statements.render_page(rendered, measured, rows) == rendered  # idempotent

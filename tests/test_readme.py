"""README's figures agree with the records they come from."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
REFERENCES = ROOT / "freezecheck" / "builtin" / "references" / "py311-tf221"


def test_the_headline_table_is_the_py311_tf221_references_final_accuracies():
    """The headline result's table: seed 0's final validation accuracy on the full tier,
    as the py311-tf221 references (made by a full-tier run there) hold it."""
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## The headline result"):].split("\n\n")[2]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "%" in line]
    assert len(rows) == 6, table
    checked = 0
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        layer = "none" if cells[0].startswith("nothing") else cells[0].strip("`")
        for model, cell in zip(("lenet", "lenet5"), cells[1:]):
            if "%" not in cell:
                assert not (REFERENCES / f"{model}[{layer}].json").exists(), row
                continue
            reference = json.loads((REFERENCES / f"{model}[{layer}].json").read_text())
            assert cell == f"{reference['val_accuracy'][-1]:.2%}", (model, layer, cell)
            checked += 1
    assert checked == 11


def test_the_readme_names_the_references_versions():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The headline result"):readme.index("| frozen |")]
    versions = json.loads((REFERENCES / "lenet5[none].json").read_text())["versions"]
    said = re.search(r"TensorFlow ([\d.]+),\s+Keras ([\d.]+),\s+Python ([\d.]+)", section)
    assert said and said.groups() == (versions["tensorflow"], versions["keras"],
                                      versions["python"])

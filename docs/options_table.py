"""MkDocs hook: the options page's table, generated from the plugin's own option table
(freezecheck/plugin/options.py), so the page cannot miss or misname an option."""

from __future__ import annotations

MARKER = "<!-- options: generated from freezecheck/plugin/options.py -->"


def options_table() -> str:
    from freezecheck.describe.session import SessionOptions
    from freezecheck.plugin.options import CHOICES, FLAGS, METAVARS, OPTIONS

    rows = ["| option | ini key | meaning |", "| --- | --- | --- |"]
    for name, (kind, help_text) in OPTIONS.items():
        value = "&#124;".join(CHOICES[name]) if name in CHOICES else METAVARS[kind]
        if name == "shard":
            value = "K/N"
        rows.append(f"| <code>{SessionOptions.flag(name)}={value}</code> | "
                    f"`freezecheck_{name}` | {help_text} |")
    for name, help_text in FLAGS.items():
        rows.append(f"| `{SessionOptions.flag(name)}` | | {help_text} |")
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, options_table())
    return markdown

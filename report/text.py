"""The analyst's own text: an optional Markdown file per report, placed beside the generated content.

``<text dir>/<code>.md`` (``reports/text/17.md`` for Värmland, ``reports/text/1780.md`` for
Karlstad). Text before the first ``## `` heading is the introduction, shown after the key
messages; each ``## <chapter>`` section (the chapter's Swedish name or its code, e.g.
``## Trygga relationer`` or ``## trygga_relationer``) is shown at the start of that chapter.
Without a file the report is complete and says nothing it did not compute. Raw HTML in the file is
shown as text, never run (markdown-it-py, CommonMark with HTML off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from report.data import Factor, ReportError

INTRODUCTION = "inledning"


@dataclass
class AnalystText:
    path: Path | None = None
    introduction: str = ""  # HTML
    chapters: dict[str, str] = field(default_factory=dict)  # factor code -> HTML

    def chapter(self, code: str) -> str:
        return self.chapters.get(code, "")


def text_path(text_dir: Path | None, code: str) -> Path | None:
    return text_dir / f"{code}.md" if text_dir is not None else None


def read_text(path: Path | None, factors: list[Factor]) -> AnalystText:
    """The file's sections as HTML by chapter; an empty text when there is no file.

    A heading that names no chapter fails with the file, the line and the chapters there are.
    """
    if path is None or not path.exists():
        return AnalystText()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"analyst text {path}: cannot be read as UTF-8 text: {exc}") from exc
    names = {f.code.lower(): f.code for f in factors} | {f.label.lower(): f.code for f in factors}
    sections: dict[str, list[str]] = {INTRODUCTION: []}
    current = INTRODUCTION
    for number, line in enumerate(lines, start=1):
        if line.startswith("## "):
            heading = line[3:].strip().rstrip("#").strip()
            key = heading.lower()
            if key == INTRODUCTION:
                current = INTRODUCTION
                continue
            if key not in names:
                allowed = ", ".join(["Inledning", *(f.label for f in factors)])
                raise ReportError(
                    f"analyst text {path}:{number}: the heading '## {heading}' names no chapter"
                    f" of the report (one of: {allowed})"
                )
            current = names[key]
            if current in sections:
                raise ReportError(f"analyst text {path}:{number}: chapter '{heading}' appears twice")
            sections[current] = []
            continue
        sections[current].append(line)
    markdown = MarkdownIt("commonmark", {"html": False})
    rendered = {code: markdown.render("\n".join(body)).strip() for code, body in sections.items()}
    introduction = rendered.pop(INTRODUCTION, "")
    return AnalystText(path, introduction, {code: html for code, html in rendered.items() if html})

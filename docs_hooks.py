"""MkDocs hooks (mkdocs.yml ``hooks:``): files that live outside docs/ on the site.

* ``CHANGELOG.md`` (repository root, Keep a Changelog) becomes ``changelog.md``;
* ``bench/results/chart.png`` (written by ``make bench``) becomes ``img/chart.png``;
* a Markdown link that leaves docs/ (``../bench/results/results.md``) would be a broken link
  on the site (and a warning that fails ``--strict``): it is pointed at the file in the
  repository instead.
"""

from __future__ import annotations

import os
import re
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = os.path.dirname(os.path.abspath(__file__))
# (path in the repository, path on the site)
EXTERNAL = [("CHANGELOG.md", "changelog.md"), ("bench/results/chart.png", "img/chart.png")]
_OUT_OF_DOCS = re.compile(r"\]\((\.\./[^)#\s]+)(#[^)\s]*)?\)")


def on_files(files: Files, config: Any) -> Files:
    for src, dest in EXTERNAL:
        path = os.path.join(ROOT, src)
        with open(path, "rb") as f:  # a missing file is an error, not a silent gap
            content = f.read()
        files.append(File.generated(config, dest, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    repo = config["repo_url"].rstrip("/")
    page_dir = os.path.dirname(page.file.src_uri)

    def absolute(m: re.Match[str]) -> str:
        target = os.path.normpath(os.path.join("docs", page_dir, m.group(1)))
        if not target.startswith(("..", "docs" + os.sep)):
            kind = "tree" if os.path.isdir(os.path.join(ROOT, target)) else "blob"
            return f"]({repo}/{kind}/main/{target}{m.group(2) or ''})"
        return m.group(0)

    return _OUT_OF_DOCS.sub(absolute, markdown)

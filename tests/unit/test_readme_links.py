"""The README and the documentation name only things that exist: every relative Markdown link
(and its #anchor) resolves, every script a `bash`/`python`/`sbatch`/`source` command runs exists
(relative to the folder a preceding `cd` in the same code block entered, else to the document's
folder, the repository root or one of the two trees), and every repository path written in
backticks exists unless it is something a command writes (run folders, data, result tables).
The product text also carries no issue numbers.
"""
import functools
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("GenDD_cifar", "GenDD_imagenet")
DOCS = ["README.md", "bench/README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
# first components of repository paths (root and tree level): a path under one of them must exist
REPO_TOPS = {"gendd", "sh", "tests", "bench", "docs", "examples", "GenDD_cifar", "GenDD_imagenet", "sh_lt",
             "gendd_cifar", "gendd_imagenet"}
# what commands write: run folders, data, checkpoints, result tables
OUTPUT_PARTS = {"save", "data", "checkpoints", "tensorboard"}
SKIP_DIRS = {".venv", ".git", "save", "data", "__pycache__", ".pytest_cache", ".ruff_cache"}
PLACEHOLDER = re.compile(r"[<>$*]|\.\.\.|…")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
RUNNERS = re.compile(r"(?:^|[\s;&|(])(?:bash|source|sbatch|python3?|\S*/bin/python)\s+((?:-[-\w]+(?:\s+\S+)?\s+)*)"
                     r"([^\s;&|)]+\.(?:sh|py))\b")
ISSUE_TALK = re.compile(r"\bissue\s*#?\d+|(?<![\w/&#\]])#\d+\b|\blent\b|\bthis round\b", re.I)


def expand_braces(text: str) -> list[str]:
    """Shell brace expansion of {a,b} groups (no nesting needed here)."""
    m = re.search(r"\{([^{}]*,[^{}]*)\}", text)
    if not m:
        return [text]
    return [v for alt in m.group(1).split(",") for v in expand_braces(text[:m.start()] + alt + text[m.end():])]


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(md: Path) -> set[str]:
    lines = md.read_text().splitlines()
    return {slug(line.lstrip("#")) for line in lines if re.match(r"#{1,6} ", line)}


def code_blocks(text: str):
    """(block lines) of fenced and indented code blocks, and the prose lines outside them."""
    blocks, prose, current, fenced = [], [], None, False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            if fenced:
                blocks.append(current)
                current, fenced = None, False
            else:
                current, fenced = [], True
            continue
        if fenced:
            current.append(line)
        elif line.startswith("    ") and line.strip() and not line.lstrip().startswith(("-", "|")):
            if current is None:
                current = []
            current.append(line.strip())
        else:
            if current is not None and line.strip():
                blocks.append(current)
                current = None
            prose.append(line)
    if current:
        blocks.append(current)
    return blocks, prose


def candidates(doc: Path, path: str, cwd: Path | None) -> list[Path]:
    if cwd is not None:
        return [cwd / path]
    return [doc.parent / path, ROOT / path] + [ROOT / tree / path for tree in TREES]


@functools.cache
def script_names() -> frozenset[str]:
    """File names of every script in the repository (a bare `name.sh` in the text must be one)."""
    names = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        names.update(f for f in files if f.endswith((".py", ".sh")))
    return frozenset(names)


def is_output(path: str) -> bool:
    parts = Path(path).parts
    return any(p in OUTPUT_PARTS or p.startswith("results") for p in parts)


def problems_in(doc: Path) -> list[str]:
    """Every stale link, command or path of one Markdown file."""
    text = doc.read_text()
    found = []
    for m in LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"[a-z]+:", target):
            continue
        badge = re.fullmatch(r"\.\./\.\./actions/workflows/([\w.-]+)(?:/badge\.svg)?", target)
        if badge:   # GitHub's repository-relative workflow page or badge: the workflow file must exist
            if not (ROOT / ".github" / "workflows" / badge.group(1)).is_file():
                found.append(f"link {target!r}: no workflow .github/workflows/{badge.group(1)}")
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file) if file else doc
        if not dest.exists():
            found.append(f"link {target!r}: {dest} does not exist")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            found.append(f"link {target!r}: no heading with anchor #{anchor} in {dest.name}")
    blocks, prose = code_blocks(text)
    spans = [s for line in prose for s in CODE_SPAN.findall(line)]
    for block in blocks:
        cwd = None
        for line in block:
            cd = re.match(r"cd\s+(\S+)\s*$", line)
            if cd:
                cwd = (cwd or ROOT) / cd.group(1)
                continue
            found += command_problems(doc, line, cwd)
    for span in spans:
        found += command_problems(doc, span, None) + path_problems(doc, span)
    return found


def command_problems(doc: Path, line: str, cwd: Path | None) -> list[str]:
    found = []
    for m in RUNNERS.finditer(line):
        for script in expand_braces(m.group(2)):
            if PLACEHOLDER.search(script):
                continue
            if not any(p.is_file() for p in candidates(doc, script, cwd)):
                found.append(f"command {line.strip()!r}: {script} not found" + (f" in {cwd}" if cwd else ""))
    return found


def path_problems(doc: Path, span: str) -> list[str]:
    found = []
    for path in expand_braces(span.strip()):
        looks_like_path = re.fullmatch(r"[\w.\-/]+", path) and ("/" in path or Path(path).suffix in (".py", ".sh"))
        if not looks_like_path or PLACEHOLDER.search(path) or path.startswith(("/", "-", "http")):
            continue
        if any(p.exists() for p in candidates(doc, path, None)) or is_output(path):
            continue
        if Path(path).parts[0] in REPO_TOPS or ("/" not in path and path not in script_names()):
            found.append(f"path `{path}` does not exist")
    return found


@pytest.mark.parametrize("name", DOCS)
def test_every_link_command_and_path_exists(name):
    assert problems_in(ROOT / name) == []


@pytest.mark.parametrize("name", DOCS)
def test_no_issue_numbers_or_talk_about_the_work(name):
    hits = [line.strip() for line in (ROOT / name).read_text().splitlines() if ISSUE_TALK.search(line)]
    assert hits == []


def test_the_two_commands_of_a_fresh_machine_are_in_the_first_40_lines():
    head = (ROOT / "README.md").read_text().splitlines()[:40]
    assert any("bash sh/quickstart.sh" in line for line in head)
    assert any("bash sh/test.sh" in line for line in head)
    assert len((ROOT / "README.md").read_text().splitlines()) < 200


def test_the_checker_finds_stale_links_commands_and_paths(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Real heading\n")
    doc = tmp_path / "stale.md"
    doc.write_text("See [the guide](missing.md), [other](other.md#real-heading), [usage](other.md#no-such-heading) "
                   "and `sh/gone.sh`.\n\n"
                   "    cd GenDD_cifar\n    bash sh/train_res110_res32_gendd.sh\n"
                   "    bash sh/train_res1_res2_gendd.sh\n\n"
                   "Also `python GenDD_imagenet/main_nothing.py --x 1`, `gendd/engine/logger.py` and "
                   "`save/kd/S-a_T-b_trial_0/` (an output), `GenDD_cifar/results/cifar100.md`, "
                   "`sh/imagenet_{train,eval}_res34res18_kd.sh`, `export_student.py` and `nowhere_at_all.sh`.\n"
                   "[![ok](../../actions/workflows/tests.yml/badge.svg)](../../actions/workflows/tests.yml) "
                   "[![stale](../../actions/workflows/gone.yml/badge.svg)](../../actions/workflows/gone.yml)\n")
    problems = problems_in(doc)
    assert len(problems) == 7, problems
    assert any("no workflow .github/workflows/gone.yml" in p for p in problems)
    assert any("missing.md" in p for p in problems)
    assert any("#no-such-heading" in p for p in problems)
    assert any("sh/gone.sh" in p for p in problems)
    assert any("train_res1_res2_gendd.sh" in p for p in problems)
    assert any("main_nothing.py" in p for p in problems)
    assert any("nowhere_at_all.sh" in p for p in problems)


def test_brace_expansion_and_anchors():
    assert expand_braces("imagenet_{train,eval}_res50mv_{kd,dkd}.sh") == [
        "imagenet_train_res50mv_kd.sh", "imagenet_train_res50mv_dkd.sh",
        "imagenet_eval_res50mv_kd.sh", "imagenet_eval_res50mv_dkd.sh"]
    assert slug("7. Where this implementation differs from the original implementation") == \
        "7-where-this-implementation-differs-from-the-original-implementation"
    assert slug("Several runs on one GPU: `sh/side_by_side.sh`") == "several-runs-on-one-gpu-shside_by_sidesh"

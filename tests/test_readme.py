"""Every command and query the README shows runs (issue 11: its raw SPARQL example did not parse).

The README's fenced blocks are read as a newcomer would copy them:
- ```bash / ```sh / ```shell lines (and ```console lines after ``$ ``), split at ``&&``: each
  ``esgkg ...`` command runs in-process on the built store (``esgkg build`` into a temporary store,
  ``esgkg export -o F`` into a temporary folder) and must exit 0 with some output;
  ``esgkg serve ...`` is checked against the CLI's options and stood in for by the ``live_server``
  fixture (a real ``esgkg serve`` on a free port); ``curl ...`` lines run against that server, the
  README's ``http://127.0.0.1:8000`` replaced by its address; any other command must be in
  ``NOT_RUN`` with the reason, so a new README command that is neither run nor listed fails here;
- a command's leading ``NAME=value`` words are set in the environment; a command naming one of
  the README's remote store URLs (``REMOTE_URLS``) runs against that server started by the tests
  (its own credentials replacing the README's), and ``oxigraph serve`` is stood in for by it;
- ```sparql blocks run through the API and must return rows;
- ```python blocks are executed with the store path put into ``esgkg.open()`` and must print.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from esgkg.api import KnowledgeGraph

README = Path(__file__).resolve().parents[1] / "README.md"
README_BASE = re.compile(r"https?://(?:127\.0\.0\.1|localhost):8000")
# The README's remote stores, stood in for by the servers the tests start (conftest's remote_server)
REMOTE_URLS = {"http://127.0.0.1:7878/query": "oxigraph", "http://127.0.0.1:8890/sparql": "virtuoso"}
ENV_WORD = re.compile(r"[A-Z_][A-Z0-9_]*=.*")
SHELL_FENCES = {"bash", "sh", "shell", "console"}

# Commands a test cannot run, each with the reason (matched as the start of the command).
NOT_RUN = {
    "python3 -m venv": "creates the virtual environment the tests already run in",
    ". .venv/bin/activate": "activates that environment (the tests run inside it)",
    "pip install": "installs esgkg, which the tests import; CI (.ci/run) runs it",
    "ruff check": "the linter, run by CI (.ci/run) beside the tests",
    "python -m pytest": "the test suite itself",
}


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # of the opening fence in README.md


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, with their language."""
    out, lang, start, body = [], None, 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        fence = re.match(r"^```\s*([\w-]*)\s*$", line)
        if fence and lang is None:
            lang, start, body = fence.group(1).lower(), number, []
        elif line.startswith("```") and lang is not None:
            out.append(Block(lang, "\n".join(body), start))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def shell_commands(block: Block) -> list[tuple[int, str]]:
    """(line, command) of a shell block: continued and quoted lines joined, comments dropped,
    ``&&`` chains split into their commands."""
    out: list[tuple[int, str]] = []
    pending, first = "", 0
    for number, line in enumerate(block.text.splitlines(), start=block.line + 1):
        if not pending:
            if block.lang == "console":
                if not line.startswith("$ "):
                    continue  # the output shown under a command
                line = line[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            first = number
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on on the next line
            continue
        command: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if command:
                    out.append((first, shlex.join(command)))
                command = []
            else:
                command.append(word)
        pending = ""
    assert not pending, f"README.md:{first}: a command is not closed: {pending!r}"
    return out


def readme_items() -> list[pytest.param]:
    items = []
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.lang in SHELL_FENCES:
            for line, command in shell_commands(block):
                items.append(pytest.param("shell", command, id=f"L{line}:{command[:60]}"))
        elif block.lang in ("sparql", "python"):
            items.append(pytest.param(block.lang, block.text, id=f"L{block.line}:{block.lang}"))
    return items


ITEMS = readme_items()


def test_the_readme_has_commands_queries_and_python():
    kinds = {p.values[0] for p in ITEMS}
    assert {"shell", "sparql", "python"} <= kinds
    commands = [p.values[1] for p in ITEMS if p.values[0] == "shell"]
    assert sum(c.startswith("esgkg ") for c in commands) >= 15


def test_the_parser_reads_commands_as_a_shell_would():
    block = Block("bash", "a 'b\n  c' # note\nx && esgkg y -p k=v   # z\nesgkg q \\\n  -p t=u", 0)
    assert shell_commands(block) == [(1, "a 'b\n  c'"), (3, "x"), (3, "esgkg y -p k=v"),
                                     (4, "esgkg q -p t=u")]
    console = Block("console", "$ esgkg queries\nsome output\n$ esgkg stats", 0)
    assert [c for _, c in shell_commands(console)] == ["esgkg queries", "esgkg stats"]


@pytest.fixture()
def kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


def _run_esgkg(words: list[str], run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> None:
    args = words[1:]
    written: Path | None = None
    if args[:1] == ["build"]:
        monkeypatch.setenv("ESGKG_STORE", str(tmp_path / "store"))  # never the store others use
    if args[:1] in (["export"], ["release"]):
        monkeypatch.chdir(tmp_path)  # a relative -o / --out lands in the temporary folder
        for flag in ("-o", "--output", "--out"):
            if flag in args:
                written = tmp_path / args[args.index(flag) + 1]
        if args[0] == "release" and written is None:
            args += ["--out", str(tmp_path / "release")]
            written = tmp_path / "release"
    if args[:1] == ["serve"]:
        import typer.main

        from esgkg.cli import app

        # the options must be the CLI's; the server itself is the live_server fixture's
        command = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
        command.make_context("serve", list(args[1:]))
        base = request.getfixturevalue("live_server")
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(base + "/sparql", timeout=10).close()
        except urllib.error.HTTPError:
            pass  # it answers
        return
    result = run(*args)
    assert result.exit_code == 0, f"esgkg {shlex.join(args)} exited {result.exit_code}: {result.output}"
    if written is not None:
        assert written.exists() and (written.is_dir() or written.stat().st_size > 0), written
    else:
        assert result.output.strip(), f"esgkg {shlex.join(args)} printed nothing"


@pytest.mark.parametrize(("kind", "text"), ITEMS)
def test_readme_item_runs(kind, text, run, kg, built_store, tmp_path, monkeypatch, capsys, request):
    if kind == "sparql":
        with kg.stream_sparql(text) as result:
            rows = list(result)
        assert rows, "the README's SPARQL example returns no rows"
        return
    if kind == "python":
        code = text.replace("esgkg.open()", f"esgkg.open({str(built_store.root)!r})")
        assert code != text or "esgkg.open(" not in text
        exec(compile(code, "README.md python block", "exec"), {"__name__": "readme"})
        assert capsys.readouterr().out.strip(), "the README's Python example prints nothing"
        return
    words = shlex.split(text)
    while ENV_WORD.fullmatch(words[0]):
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    for url, kind in REMOTE_URLS.items():
        if url in words or (words[0] == "oxigraph" and kind == "oxigraph"):
            server = request.getfixturevalue("remote_server")(kind)
            for name, value in server.env.items():
                monkeypatch.setenv(name, value)
            words = [server.url if w == url else w for w in words]
    if words[0] == "oxigraph":
        assert words[1] == "serve" and "--location" in words and "--bind" in words, text
        return  # stood in for by the server remote_server started the same way (tests/servers.py)
    if words[0] == "esgkg":
        _run_esgkg(words, run, tmp_path, monkeypatch, request)
    elif words[0] == "curl":
        base = request.getfixturevalue("live_server")
        done = subprocess.run(README_BASE.sub(base, text), shell=True, capture_output=True, text=True,
                              timeout=120, executable="/bin/bash")
        assert done.returncode == 0, f"{text}: exit {done.returncode}: {done.stderr}"
        assert done.stdout.strip(), f"{text}: no output"
    else:
        reasons = [reason for start, reason in NOT_RUN.items() if text.startswith(start)]
        assert reasons, (f"README command {text!r} is neither run by this test nor in NOT_RUN (with "
                         "the reason it cannot run in a test)")
        pytest.skip(f"not run: {reasons[0]}")

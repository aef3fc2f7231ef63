"""Run the shapes in Apache Jena's SHACL engine, as an agency with a Java stack would.

Uses Debian's ``libapache-jena-java`` (jars only). As shipped, Jena 4.5 there fails at start-up:
Debian moved the bundled xerces classes to ``xerces.*`` but left their message bundles under
``org/apache/jena/ext/xerces/``. :func:`find_jena` repacks those bundles under the path the
classes look for, in a small jar put first on the classpath, and builds the classpath from the
package's own dependency closure (not the whole ``/usr/share/java``).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .errors import InputError

PACKAGE = "libapache-jena-java"
_BATCH = Path(__file__).with_name("ShaclBatch.java")
_OLD_PREFIX = "org/apache/jena/ext/xerces/"
_NEW_PREFIX = "xerces/"
# logging back-ends of libslf4j-java that would compete with each other on the classpath
_SKIP_JARS = ("slf4j-log4j", "slf4j-jdk", "slf4j-jcl", "slf4j-reload4j", "slf4j-migrator",
              "slf4j-ext", "jcl-over-slf4j", "log4j-over-slf4j", "jul-to-slf4j", "slf4j-simple")


@dataclass(frozen=True)
class Jena:
    java: str
    classpath: list[str]

    def shacl(self, shapes: Graph, graphs: dict[str, Graph], folder: Path,
              timeout: float = 600) -> dict[str, Graph]:
        """Validate each named data graph against ``shapes`` in one JVM (the graphs are written
        to ``folder`` as files for it); the sh:ValidationReport graph of each, by name."""
        folder.mkdir(parents=True, exist_ok=True)
        shapes_path = folder / "shapes.ttl"
        shapes.serialize(shapes_path, format="turtle")
        cmd = [self.java, "-cp", ":".join(self.classpath), str(_BATCH), str(shapes_path)]
        reports = {}
        for name, graph in graphs.items():
            data = folder / f"{name}.nt"
            graph.serialize(data, format="nt", encoding="utf-8")
            reports[name] = folder / f"{name}.report.ttl"
            cmd += [str(data), str(reports[name])]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise InputError(f"Jena SHACL failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return {name: Graph().parse(path, format="turtle") for name, path in reports.items()}


def _installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                          capture_output=True, text=True, check=False)
    return done.returncode == 0 and "install ok installed" in done.stdout


def _dependency_closure(package: str) -> list[str]:
    """The package and the installed packages it depends on, recursively (alternatives: the
    first installed one)."""
    seen: list[str] = []
    todo = [package]
    while todo:
        pkg = todo.pop()
        if pkg in seen or not _installed(pkg):
            continue
        seen.append(pkg)
        depends = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", pkg],
                                 capture_output=True, text=True, check=False).stdout
        for clause in filter(None, (c.strip() for c in depends.split(","))):
            for alt in clause.split("|"):
                name = alt.split("(")[0].split(":")[0].strip()
                if _installed(name):
                    todo.append(name)
                    break
    return seen


def _jars(package: str) -> list[str]:
    listed = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True,
                            check=False).stdout.splitlines()
    jars = [p for p in listed if p.startswith("/usr/share/java/") and p.endswith(".jar")]
    unversioned = [j for j in jars if Path(j).is_symlink()] or jars  # one copy of each jar
    return [j for j in unversioned if not any(s in Path(j).name for s in _SKIP_JARS)]


def _bundle_jar(core_jar: Path, cache: Path) -> Path:
    """A jar holding jena-core's xerces message bundles under the relocated package path."""
    target = cache / "jena-xerces-messages.jar"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(core_jar) as src, zipfile.ZipFile(tmp, "w") as out:
        for name in src.namelist():
            if name.startswith(_OLD_PREFIX) and name.endswith(".properties"):
                out.writestr(_NEW_PREFIX + name[len(_OLD_PREFIX):], src.read(name))
    tmp.replace(target)
    return target


def find_jena(cache: Path) -> Jena | None:
    """A runnable Jena, or None when Java or Debian's Jena package is not installed."""
    java = shutil.which("java")
    if java is None or shutil.which("dpkg-query") is None or not _installed(PACKAGE):
        return None
    classpath: list[str] = []
    for pkg in _dependency_closure(PACKAGE):
        classpath += [j for j in _jars(pkg) if j not in classpath]
    core = next((Path(j) for j in classpath if Path(j).name.startswith("jena-core")), None)
    if core is None:
        return None
    return Jena(java, [str(_bundle_jar(core.resolve(), cache)), *classpath])

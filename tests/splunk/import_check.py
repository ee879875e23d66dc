"""``python import_check.py <bin>``: run with a Splunk Python, ``<bin>`` the installed
add-on's bin/ under $SPLUNK_HOME/etc/apps/<app>/ (tests only, never shipped).

Imports what the add-on runs, as splunkd would find it: ``import_declare_test`` first
(lib/ and lib/3rdparty/<python>/ on sys.path), then every module named by an import
statement in bin/*.py and bin/estreamer_splunk/*.py (including the ones inside
functions), every module of the core package ``estreamer`` and solnlib's KV store
checkpointer. Prints one JSON object: the modules that failed to import (with the
error) and every loaded top-level package.
"""

from __future__ import annotations

import ast
import glob
import importlib
import importlib.util
import json
import os
import pkgutil
import sys

BIN = sys.argv[1]
sys.path[0] = BIN  # where splunkd's scripts live; this file is elsewhere

import import_declare_test  # noqa: E402,F401  (the add-on's own path setup)


def imported_names(path: str) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def main() -> None:
    scripts = sorted(glob.glob(os.path.join(BIN, "*.py")) +
                     glob.glob(os.path.join(BIN, "estreamer_splunk", "*.py")))
    wanted = {"solnlib.modular_input.checkpointer"}
    wanted |= {"estreamer_splunk." + os.path.basename(p)[:-3] for p in scripts
               if os.path.dirname(p).endswith("estreamer_splunk")}
    for path in scripts:
        wanted |= imported_names(path)
    core = importlib.import_module("estreamer")
    wanted |= {m.name for m in pkgutil.walk_packages(core.__path__, "estreamer.")
               if not m.name.endswith("__main__")}  # runs the command line
    failed = {}
    for name in sorted(wanted):
        if importlib.util.find_spec(name.split(".")[0]) is None and name.split(".")[0] in (
                "splunk",):
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            # "from x import Name" also lists x.Name: a class, not a module
            parent, _, attr = name.rpartition(".")
            if parent and err.name == name and hasattr(sys.modules.get(parent), attr):
                continue
            failed[name] = f"{type(err).__name__}: {err}"
        except Exception as err:
            failed[name] = f"{type(err).__name__}: {err}"
    # the scripts themselves, by path (bin/estreamer.py shares its name with the core);
    # splunktaucclib finds the app by the path of the script splunkd runs
    for path in scripts:
        if os.path.dirname(path) != BIN:
            continue  # package modules: imported by name above
        sys.argv[0] = sys.modules["__main__"].__file__ = path
        spec = importlib.util.spec_from_file_location("check_" + os.path.basename(path)[:-3],
                                                      path)
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except Exception as err:
            failed[os.path.relpath(path, BIN)] = f"{type(err).__name__}: {err}"
    loaded = sorted({m.split(".")[0] for m in sys.modules})
    print(json.dumps({"failed": failed, "loaded": loaded, "checked": len(wanted)}))


main()

"""pyproject.toml lists every third-party module the package code imports: the required ones as
dependencies, the lazily imported optional ones (wandb, scipy, onnxruntime, huggingface_hub) as
optional dependencies."""
import ast
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "gendd", ROOT / "GenDD_cifar", ROOT / "GenDD_imagenet"]
DISTRIBUTION = {"PIL": "pillow", "yaml": "pyyaml"}  # import name -> PyPI name where they differ
OPTIONAL = {"wandb", "scipy", "onnxruntime", "huggingface_hub"}
LOCAL = {"gendd"}  # the trees' own packages and modules are found on disk


def imported_modules() -> set[str]:
    names = set()
    for package in PACKAGES:
        local = LOCAL | {p.stem for p in package.glob("*.py")} | {p.parent.name for p in package.glob("*/__init__.py")}
        for path in package.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
        names -= local
    return {n for n in names if n not in sys.stdlib_module_names and n != "__future__"}


def test_every_imported_module_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = set(project["dependencies"])
    optional = {d for extra in project["optional-dependencies"].values() for d in extra}
    used = {DISTRIBUTION.get(n, n) for n in imported_modules()}
    assert {"timm", "webdataset", "matplotlib", "torch"} <= used
    assert used - OPTIONAL <= required, f"not in dependencies: {sorted(used - OPTIONAL - required)}"
    assert OPTIONAL <= optional and not OPTIONAL & required

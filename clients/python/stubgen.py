"""Generates the `inventory.v1` stubs (with .pyi types) from the contract in protos/.

Run by `make generate-python` and by the package's build hook (hatch_build.py), so
`pip install ./clients/python` from a checkout builds them too. Needs grpcio-tools,
mypy-protobuf and googleapis-common-protos (whose wheel ships google/type, google/rpc and
google/api as .proto files, given to protoc as an include root).

    python clients/python/stubgen.py [--protos DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import google.type.money_pb2 as money

HERE = Path(__file__).resolve().parent
DEFAULT_PROTOS = HERE.parent.parent / "protos"
DEFAULT_OUT = HERE / "src"
PACKAGE = "inventory"
HEADER = "# Generated from protos/ by clients/python/stubgen.py. Do not edit.\n"


def googleapis_include() -> Path:
    """The folder holding google/type/*.proto etc., from the googleapis-common-protos wheel."""
    return Path(money.__file__).resolve().parents[2]


def _plugin(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit(f"stubgen: {name} not found (install mypy-protobuf)")
    return found


def generate(protos: Path = DEFAULT_PROTOS, out: Path = DEFAULT_OUT) -> list[Path]:
    """Replaces out/inventory with stubs of every protos/inventory/**/*.proto; returns them."""
    sources = sorted(protos.glob(f"{PACKAGE}/**/*.proto"))
    if not sources:
        raise SystemExit(f"stubgen: no .proto files under {protos / PACKAGE}")
    with tempfile.TemporaryDirectory(dir=out, prefix=".stubgen-") as scratch:
        command = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{protos}",
            f"-I{googleapis_include()}",
            f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
            f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
            f"--python_out={scratch}",
            f"--grpc_python_out={scratch}",
            f"--mypy_out={scratch}",
            f"--mypy_grpc_out={scratch}",
            *(str(source.relative_to(protos)) for source in sources),
        ]
        subprocess.run(command, cwd=protos, check=True)
        generated = Path(scratch) / PACKAGE
        for folder in [generated, *(p for p in generated.rglob("*") if p.is_dir())]:
            (folder / "__init__.py").write_text(HEADER)
        (generated / "py.typed").write_text("")
        target = out / PACKAGE
        shutil.rmtree(target, ignore_errors=True)
        generated.rename(target)
    return sorted(target.rglob("*.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protos", type=Path, default=DEFAULT_PROTOS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    files = generate(args.protos.resolve(), args.out.resolve())
    print(f"stubgen: {len(files)} modules in {args.out / PACKAGE}")


if __name__ == "__main__":
    main()

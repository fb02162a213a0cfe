"""Finding WordNet 3.0 for METEOR's synonym matcher, without a download.

NLTK reads WordNet from ``<nltk_data>/corpora/wordnet/``. WordNet is not on PyPI in that form, so
the harness looks, in order, at:

1. an NLTK data path that already holds it (``NLTK_DATA``, ``~/nltk_data``, ... or a directory
   appended by :func:`find_wordnet` on an earlier call);
2. the Debian/Ubuntu packages ``wordnet-base`` + ``wordnet-sense-index`` (``/usr/share/wordnet``,
   or ``$WNSEARCHDIR``). Their dict files are what NLTK reads, except for ``lexnames``, which
   Debian ships only as the man page ``lexnames.5WN.gz``: the harness writes the file from that
   page into ``<cache>/nltk_data/corpora/wordnet/`` next to copies of the Debian dict
   files (NLTK refuses symlinks out of its data root and hard-linked files).

``<cache>`` is ``$HARNESS_CACHE_DIR`` or ``~/.cache/ecg-harness``. Nothing here downloads.
"""

from __future__ import annotations

import gzip
import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.paths import cache_root

DEBIAN_DIRS = (Path("/usr/share/wordnet"),)
LEXNAMES_MAN_PAGES = (
    Path("/usr/share/man/man5/lexnames.5WN.gz"),
    Path("/usr/share/man/man5/lexnames.5wn.gz"),
)
# Files NLTK's WordNetCorpusReader opens (``WordNetCorpusReader._FILES``) minus ``lexnames``.
DICT_FILES = (
    "cntlist.rev", "index.sense",
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
)  # fmt: skip
# Syntactic category per lexicographer-file prefix, as the lexnames(5WN) page defines it.
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
_LEXNAME_ROW = re.compile(r"^(\d\d)\t+(\w+\.\w+)\s*\t")

INSTALL_HINT = (
    "Install WordNet 3.0 so NLTK can read it, e.g. on Debian/Ubuntu "
    "`apt-get install -y wordnet-base wordnet-sense-index` (the harness builds the NLTK layout from "
    "/usr/share/wordnet itself), or elsewhere `python -m nltk.downloader wordnet` / point NLTK_DATA "
    "at a directory holding corpora/wordnet. To score METEOR without synonyms instead, set "
    "HARNESS_METEOR_WORDNET=off (results.json then records matchers exact+stem, wordnet false)."
)


class WordNetNotFound(RuntimeError):
    """WordNet is needed (METEOR's synonym stage) and none was found."""


@dataclass(frozen=True)
class WordNetLocation:
    root: Path  # the directory NLTK's reader opens (…/corpora/wordnet)
    source: str  # "nltk_data" or "debian:<dir>"

    def info(self) -> dict[str, Any]:
        return {"wordnet_root": str(self.root), "wordnet_source": self.source}


def lexnames_from_man_page(text: str) -> list[tuple[str, str, int]]:
    """``(number, lexicographer file name, category)`` rows of the lexnames(5WN) man page table."""
    rows = []
    for line in text.splitlines():
        m = _LEXNAME_ROW.match(line)
        if m:
            number, name = m.groups()
            rows.append((number, name, _CATEGORY[name.split(".", 1)[0]]))
    if [int(n) for n, _, _ in rows] != list(range(len(rows))) or not rows:
        raise ValueError("lexnames man page: expected a table numbered 00, 01, ... without gaps")
    return rows


def _find_man_page() -> Path | None:
    for page in LEXNAMES_MAN_PAGES:
        if page.is_file():
            return page
    return None


def _debian_dict_dir() -> Path | None:
    candidates = [Path(os.environ["WNSEARCHDIR"])] if os.environ.get("WNSEARCHDIR") else []
    for d in [*candidates, *DEBIAN_DIRS]:
        if all((d / name).is_file() for name in DICT_FILES):
            return d
    return None


def build_nltk_wordnet(dict_dir: Path, man_page: Path, data_root: Path) -> Path:
    """Create ``data_root/corpora/wordnet`` from Debian dict files; return that directory.

    Idempotent, and safe when two processes build at once (each file is placed under a temporary
    name and renamed). Files are copied (~36 MB, once).
    """
    target = data_root / "corpora" / "wordnet"
    target.mkdir(parents=True, exist_ok=True)
    for name in DICT_FILES:
        _place(dict_dir / name, target / name)
    rows = lexnames_from_man_page(gzip.decompress(man_page.read_bytes()).decode("utf-8", "replace"))
    content = "".join(f"{n}\t{name}\t{cat}\n" for n, name, cat in rows)
    lexnames = target / "lexnames"
    if not lexnames.is_file() or lexnames.read_text() != content:
        tmp = target / f".lexnames.{os.getpid()}"
        tmp.write_text(content)
        os.replace(tmp, lexnames)
    return target


def _place(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` unless an equal-sized copy is there.

    A copy, not a link: NLTK's path security refuses symlinks leaving its data root and files
    with more than one hard link.
    """
    import shutil

    if dest.is_file() and not dest.is_symlink() and dest.stat().st_size == source.stat().st_size:
        return
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


def _nltk_has_wordnet() -> Path | None:
    import nltk.data

    try:
        return Path(str(nltk.data.find("corpora/wordnet")))
    except LookupError:
        pass
    try:  # the zip nltk.download() leaves behind
        return Path(str(nltk.data.find("corpora/wordnet.zip")))
    except LookupError:
        return None


@lru_cache(maxsize=1)
def find_wordnet() -> WordNetLocation:
    """Locate (building if needed) an NLTK-readable WordNet; raise :class:`WordNetNotFound`."""
    found = _nltk_has_wordnet()
    if found is not None:
        return WordNetLocation(found, "nltk_data")
    dict_dir = _debian_dict_dir()
    man_page = _find_man_page()
    if dict_dir is not None and man_page is not None:
        import nltk.data

        data_root = cache_root() / "nltk_data"
        root = build_nltk_wordnet(dict_dir, man_page, data_root)
        if str(data_root) not in nltk.data.path:
            nltk.data.path.append(str(data_root))  # so nltk.corpus.wordnet finds the same files
        return WordNetLocation(root, f"debian:{dict_dir}")
    import nltk.data

    looked = list(nltk.data.path) + [str(d) for d in DEBIAN_DIRS]
    missing = "the lexnames(5WN) man page" if dict_dir is not None else "the WordNet dict files"
    raise WordNetNotFound(f"WordNet not found ({missing} missing; looked in {looked}). {INSTALL_HINT}")


def open_reader(root: Path) -> Any:
    """An English ``WordNetCorpusReader`` over ``root`` (which must be on ``nltk.data.path``:
    NLTK refuses to read corpora elsewhere).

    Its ``synsets()`` equal ``nltk.corpus.wordnet``'s; it skips building the WordNet-version
    mapping used only by multilingual (OMW) lookups, which saves seconds at load.
    """
    import warnings

    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    index_cache = _index_cache_path(root)

    class EnglishWordNetReader(WordNetCorpusReader):
        def map_wn(self, version: str = "wordnet") -> None:
            return None

        def _load_lemma_pos_offset_map(self) -> None:
            """Parsing the index files is most of a reader's start-up: keep the result on disk."""
            if index_cache is not None and index_cache.is_file():
                with open(index_cache, "rb") as fh:
                    self._lemma_pos_offset_map = pickle.load(fh)  # our own file, keyed by the index files
                return
            super()._load_lemma_pos_offset_map()
            if index_cache is not None:
                write_pickle(index_cache, self._lemma_pos_offset_map)

    with warnings.catch_warnings():  # "multilingual functions are not available": not used here
        warnings.simplefilter("ignore")
        return EnglishWordNetReader(str(root), None)


def _index_cache_path(root: Path) -> Path | None:
    """Where the parsed lemma index of the WordNet at ``root`` is kept: named by the index files'
    paths, sizes and times and the nltk version, so any change makes a new one."""
    import hashlib

    import nltk

    try:
        stats = index_file_stats(root)
    except OSError:
        return None
    key = hashlib.sha256(repr((stats, nltk.__version__)).encode()).hexdigest()[:24]
    return cache_root() / "wordnet_index" / f"{key}.pickle"


def index_file_stats(root: Path) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of the WordNet index files at ``root``: what a cache derived from them is keyed by."""
    return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(root).glob("index.*"))]


def write_pickle(path: Path, value: Any) -> None:
    """Atomically (temp file, rename); a read-only cache only costs the next start-up the work."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass


@lru_cache(maxsize=1)
def load_wordnet() -> Any:
    """The reader over :func:`find_wordnet`'s files, loaded once per process."""
    location = find_wordnet()
    if location.root.suffix == ".zip":
        from nltk.corpus import wordnet

        wordnet.ensure_loaded()
        return wordnet
    return open_reader(location.root)


def reopen_files() -> None:
    """In a forked child: stop sharing the parent's open WordNet files.

    The reader seeks and reads data files on demand; a forked process shares the file offsets
    with its parent, so concurrent reads would interleave. Dropping the handles makes the
    child open its own on first use.
    """
    if load_wordnet.cache_info().currsize:
        try:
            reader = load_wordnet()
        except WordNetNotFound:
            return
        reader._data_file_map = {}  # private in nltk; the reader reopens files lazily


_MARKER = re.compile(r"(.*?)(\([^()]*\))?$")  # nltk's syntactic-marker split ("galore(ip)")


class LemmaNames:
    """``{lemma.name() for s in reader.synsets(word) for lemma in s.lemmas()}``, without building
    Synset objects.

    Uses the reader's own morphology (``_morphy``) and lemma index, then reads just the lemma
    fields of each synset's data line: the same lines and the same marker rule as nltk's
    ``_synset_from_pos_and_line``, ~10x faster. Data files are opened per process (a forked
    child never shares file offsets with its parent).
    """

    _POS_FILE = {"n": "data.noun", "v": "data.verb", "a": "data.adj", "s": "data.adj", "r": "data.adv"}

    def __init__(self, reader: Any):
        self.reader = reader
        self.root = Path(str(reader.root))
        self._files: dict[str, Any] = {}
        self._pid = os.getpid()
        self._by_offset: dict[tuple[str, int], tuple[str, ...]] = {}

    def _file(self, pos: str) -> Any:
        if self._pid != os.getpid():
            self._files, self._pid = {}, os.getpid()
        name = self._POS_FILE[pos]
        handle = self._files.get(name)
        if handle is None:
            handle = self._files[name] = open(self.root / name, "rb")  # noqa: SIM115 (kept open)
        return handle

    def _names_at(self, pos: str, offset: int) -> tuple[str, ...]:
        key = (pos, offset)
        names = self._by_offset.get(key)
        if names is None:
            handle = self._file(pos)
            handle.seek(offset)
            columns = handle.readline().decode("utf-8").split("|", 1)[0].split()
            if columns[0] != f"{offset:08d}":
                raise ValueError(f"WordNet {self._POS_FILE[pos]}: no synset at offset {offset}")
            count = int(columns[3], 16)
            names = self._by_offset[key] = tuple(_MARKER.match(columns[4 + 2 * k]).group(1) for k in range(count))
        return names

    def __call__(self, word: str) -> set[str]:
        from nltk.corpus.reader.wordnet import POS_LIST

        reader = self.reader
        word = word.lower()
        index = reader._lemma_pos_offset_map
        out: set[str] = set()
        for pos in POS_LIST:
            for form in reader._morphy(word, pos, True):
                for offset in index[form].get(pos, []):
                    out.update(self._names_at(pos, offset))
        return out

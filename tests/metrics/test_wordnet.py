"""Building an NLTK-readable WordNet from the Debian packages (installed by .ci/install-system)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from harness.plugins.metrics import wordnet


def test_lexnames_from_the_debian_man_page():
    page = next(p for p in wordnet.LEXNAMES_MAN_PAGES if p.is_file())
    rows = wordnet.lexnames_from_man_page(gzip.decompress(page.read_bytes()).decode())
    assert len(rows) == 45  # WordNet 3.0's lexicographer files 00..44
    assert rows[0] == ("00", "adj.all", 3)
    assert rows[3] == ("03", "noun.Tops", 1)
    assert rows[18] == ("18", "noun.person", 1)  # the man page pads this name with spaces
    assert rows[29] == ("29", "verb.body", 2)
    assert rows[44] == ("44", "adj.ppl", 3)


def test_lexnames_parser_rejects_a_broken_table():
    with pytest.raises(ValueError, match="numbered 00, 01"):
        wordnet.lexnames_from_man_page("00\tadj.all\tall adjective clusters\n02\tadv.all\tall adverbs\n")


def test_build_into_a_fresh_cache_dir(tmp_path: Path):
    """The files NLTK's reader opens, as plain files (NLTK refuses symlinks and hard links).
    That NLTK reads such a directory is shown by the next test, whose cache is built the same way."""
    dict_dir = wordnet._debian_dict_dir()
    man_page = wordnet._find_man_page()
    assert dict_dir is not None and man_page is not None, "run .ci/install-system (wordnet-base, wordnet-sense-index)"
    root = wordnet.build_nltk_wordnet(dict_dir, man_page, tmp_path / "nltk_data")
    assert root == tmp_path / "nltk_data" / "corpora" / "wordnet"
    assert {p.name for p in root.iterdir()} == set(wordnet.DICT_FILES) | {"lexnames"}
    assert wordnet.build_nltk_wordnet(dict_dir, man_page, tmp_path / "nltk_data") == root  # idempotent
    for name in wordnet.DICT_FILES:
        path = root / name
        assert not path.is_symlink() and path.stat().st_nlink == 1
        assert path.stat().st_size == (dict_dir / name).stat().st_size
    lexnames = (root / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45 and lexnames[8] == "08\tnoun.body\t1"


def test_harness_finds_wordnet_and_nltk_default_reader_sees_it():
    location = wordnet.find_wordnet()
    reader = wordnet.load_wordnet()
    assert reader.get_version() == "3.0"
    assert {lemma.name() for s in reader.synsets("ill") for lemma in s.lemmas()} >= {"ill", "sick"}
    assert "noun.body" in {s.lexname() for s in reader.synsets("heart")}  # our lexnames file at work
    import nltk.data

    # nltk.corpus.wordnet (what nltk's meteor_score uses by default) resolves to the same files
    assert Path(str(nltk.data.find("corpora/wordnet"))).resolve() == Path(location.root).resolve()


def test_missing_wordnet_message_says_where_and_how(monkeypatch, tmp_path):
    import nltk.data

    monkeypatch.setattr(wordnet, "DEBIAN_DIRS", (tmp_path / "none",))
    monkeypatch.setattr(wordnet, "_nltk_has_wordnet", lambda: None)
    monkeypatch.delenv("WNSEARCHDIR", raising=False)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path / "nltk")])
    wordnet.find_wordnet.cache_clear()
    try:
        with pytest.raises(wordnet.WordNetNotFound) as err:
            wordnet.find_wordnet()
    finally:
        wordnet.find_wordnet.cache_clear()
    message = str(err.value)
    assert str(tmp_path / "none") in message and str(tmp_path / "nltk") in message
    assert "apt-get install -y wordnet-base wordnet-sense-index" in message
    assert "HARNESS_METEOR_WORDNET=off" in message


def test_fast_lemma_names_equal_nltk_synsets():
    """LemmaNames reads lemma fields directly; it must agree with nltk's Synset objects, here on
    every 25th lemma of WordNet's index (all parts of speech, markers, inflected forms)."""
    reader = wordnet.load_wordnet()
    names = wordnet.LemmaNames(reader)
    words = sorted(reader._lemma_pos_offset_map)[::25]
    words += ["attacks", "ran", "better", "ill", "galore", "hearts", "ecg", "12", "axes"]  # morphy and markers
    assert len(words) > 5000
    for word in words:
        expected = {lemma.name() for synset in reader.synsets(word) for lemma in synset.lemmas()}
        assert names(word) == expected, word


def test_parsed_index_is_cached_and_equal(tmp_path, monkeypatch):
    from harness.plugins.metrics import wordnet

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    root = wordnet.find_wordnet().root
    parsed = wordnet.open_reader(root)
    (cached_file,) = (tmp_path / "wordnet_index").glob("*.pickle")
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    def no_parse(self):
        raise AssertionError("the index was parsed again instead of read from the cache")

    monkeypatch.setattr(WordNetCorpusReader, "_load_lemma_pos_offset_map", no_parse)
    from_cache = wordnet.open_reader(root)
    assert from_cache._lemma_pos_offset_map == parsed._lemma_pos_offset_map
    assert {lemma for s in from_cache.synsets("sick") for lemma in s.lemma_names()} == {
        lemma for s in parsed.synsets("sick") for lemma in s.lemma_names()
    }
    assert cached_file.stat().st_size > 1_000_000

"""Longest-match lookup extraction with synonym normalisation."""

from components.gazetteer import build_table, compile_table, extract

LOOKUPS = {
    "community": ["曹杨新村街道", "曹杨新村", "曹杨", "曹杨一村居委会", "曹杨一村"],
    "district": ["普陀区", "普陀"],
    "marriage_type": ["结婚", "领证", "离婚", "补领", "补办结婚证", "结婚证丢了"],
    "assistance_type": ["低保", "滴保", "吃低保"],
}
SYNONYMS = {
    "曹杨新村": "曹杨新村街道",
    "曹杨": "曹杨新村街道",
    "曹杨一村": "曹杨一村居委会",
    "普陀": "普陀区",
    "领证": "结婚",
    "补办结婚证": "补领",
    "结婚证丢了": "补领",
    "滴保": "低保",
    "吃低保": "低保",
}
TABLE = build_table(LOOKUPS, SYNONYMS, ignore=["结婚证"])
PATTERN = compile_table(TABLE)


def found(text):
    return [(e["entity"], e["value"]) for e in extract(text, TABLE, PATTERN)]


def test_longest_match_wins():
    assert found("我住曹杨一村") == [("community", "曹杨一村居委会")]
    assert found("曹杨附近") == [("community", "曹杨新村街道")]
    assert found("补办结婚证") == [("marriage_type", "补领")]


def test_synonyms_and_traditional_characters():
    assert found("普陀 滴保") == [("district", "普陀区"), ("assistance_type", "低保")]
    assert found("想去領證") == [("marriage_type", "结婚")]


def test_ignored_words_consume_their_span():
    assert found("离婚要带结婚证吗") == [("marriage_type", "离婚")]


def test_offsets():
    text = "普陀区的低保"
    assert [(text[e["start"] : e["end"]]) for e in extract(text, TABLE, PATTERN)] == ["普陀区", "低保"]

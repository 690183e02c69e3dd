"""The gazetteer built from the real nlu_data/ tables (as Rasa loads them) and the
ignore list of bot/config.yml resolves residents' words to the contract's values."""

from pathlib import Path

import pytest
import yaml
from components.gazetteer import build_table, compile_table, extract

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gazetteer():
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "nlu_data"))
    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    gaz = next(c for c in config["pipeline"] if c["name"].endswith("GazetteerEntityExtractor"))
    lookups = {}
    for table in data.lookup_tables:
        if table["name"] in gaz["entities"]:
            lookups.setdefault(table["name"], []).extend(table["elements"])
    synonyms = {k.lower(): v for k, v in data.entity_synonyms.items()}
    table = build_table(lookups, synonyms, gaz.get("ignore", []))
    return table, compile_table(table)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("想去扯证", [("marriage_type", "结婚")]),
        ("补办结婚证", [("marriage_type", "补领")]),
        ("离婚要带结婚证吗", [("marriage_type", "离婚")]),
        ("我想吃滴保", [("assistance_type", "低保")]),
        ("五保户", [("assistance_type", "特困供养")]),
        ("附近的长者食堂", [("service_type", "助餐")]),
        ("找个托老所", [("service_type", "日间照料")]),
        ("敬老院", [("service_type", "养老院")]),
        ("老年痴呆", [("service_type", "认知障碍照护")]),
        ("我住曹杨一村", [("community", "曹杨一村居委会")]),
        ("曹杨附近", [("community", "曹杨新村街道")]),
        ("顾村", [("community", "顾村镇")]),
        ("宝山的低保", [("district", "宝山区"), ("assistance_type", "低保")]),
        ("约长风服务点", [("office", "普陀区婚姻登记中心长风服务点")]),
        ("祝你长寿", []),  # an ambiguous street alias stays out of the lookup
    ],
)
def test_values(gazetteer, text, expected):
    table, pattern = gazetteer
    assert [(e["entity"], e["value"]) for e in extract(text, table, pattern)] == expected

"""Deterministic generation of demo households and residents for every community."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from common.masking import id_check_char

SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱严"
GIVEN_MALE = [
    "建国",
    "国强",
    "伟",
    "志明",
    "海涛",
    "立新",
    "文彬",
    "俊杰",
    "浩然",
    "子豪",
    "德明",
    "永康",
    "振华",
    "家豪",
    "明远",
    "宏伟",
    "瑞",
    "天佑",
    "宇轩",
    "根生",
    "福生",
    "金宝",
    "阿三",
    "雪峰",
]
GIVEN_FEMALE = [
    "秀英",
    "桂英",
    "玉兰",
    "美华",
    "丽娟",
    "静",
    "婷婷",
    "晓燕",
    "佳怡",
    "雨欣",
    "梓涵",
    "淑芬",
    "凤英",
    "翠华",
    "慧敏",
    "思琪",
    "欣怡",
    "月娥",
    "彩凤",
    "琴",
    "海燕",
    "巧玲",
    "雅婷",
    "阿英",
]
ROADS = [
    "长寿路",
    "武宁路",
    "曹杨路",
    "枣阳路",
    "宜川路",
    "志丹路",
    "石泉路",
    "真北路",
    "铜川路",
    "金沙江路",
    "泰和路",
    "牡丹江路",
    "同济路",
    "友谊路",
    "共和新路",
    "场中路",
    "月浦路",
    "罗店路",
    "淞南路",
    "殷高路",
]
DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
BENEFIT_ODDS = {"低保": 0.04, "特困供养": 0.01, "高龄津贴": 0.0, "残疾人两项补贴": 0.0}


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    gender: str
    birth_date: date
    phone: str
    relation: str
    disability_grade: int
    living_alone: bool
    benefits: tuple[str, ...]

    @property
    def disability_category(self) -> str:
        """Read from the ID number's sequence digits, so the generator draws no extra random number."""
        return (
            DISABILITY_CATEGORIES[int(self.id_number[14:17]) % len(DISABILITY_CATEGORIES)]
            if self.disability_grade
            else ""
        )


@dataclass(frozen=True)
class Family:
    address: str
    monthly_income: int
    savings: int
    vehicles: int
    members: tuple[Person, ...]


def make_id_number(district_code: str, birth: date, seq: int, gender: str) -> str:
    """A checksum-valid 18-character ID; the 17th digit is odd for men, even for women."""
    sequence = seq % 500 * 2 + (1 if gender == "男" else 0)
    first17 = f"{district_code[:6]}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


class PeopleFactory:
    def __init__(self, seed: int = 20261123, today: date = date(2026, 11, 23)) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.seq = 0
        self.used_ids: set[str] = set()

    def _birth(self, min_age: int, max_age: int) -> date:
        age_days = self.rng.randint(min_age * 365 + 1, max_age * 365 + 300)
        return self.today - timedelta(days=age_days)

    def _person(
        self,
        district_code: str,
        surname: str,
        gender: str,
        min_age: int,
        max_age: int,
        relation: str,
        alone: bool = False,
    ) -> Person:
        birth = self._birth(min_age, max_age)
        while True:
            self.seq += 1
            id_number = make_id_number(district_code, birth, self.seq, gender)
            if id_number not in self.used_ids:
                self.used_ids.add(id_number)
                break
        given = self.rng.choice(GIVEN_MALE if gender == "男" else GIVEN_FEMALE)
        age = (self.today - birth).days // 365
        benefits = [b for b, p in BENEFIT_ODDS.items() if self.rng.random() < p]
        if age >= 80 and self.rng.random() < 0.8:
            benefits.append("高龄津贴")
        grade = self.rng.choice([0] * 30 + [1, 2, 3, 4])
        if grade and self.rng.random() < 0.5:
            benefits.append("残疾人两项补贴")
        phone = (
            "1" + self.rng.choice("3578") + "".join(self.rng.choice("0123456789") for _ in range(9))
            if age >= 16
            else ""
        )
        return Person(id_number, surname + given, gender, birth, phone, relation, grade, alone, tuple(benefits))

    def family(self, district_code: str) -> Family:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        shape = rng.choices(
            ["alone_elder", "elder_couple", "couple_child", "three_gen", "single"], weights=[2, 3, 4, 2, 1]
        )[0]
        members: list[Person] = []
        if shape == "alone_elder":
            members.append(self._person(district_code, surname, rng.choice("男女"), 65, 95, "户主", alone=True))
        elif shape == "elder_couple":
            members.append(self._person(district_code, surname, "男", 62, 92, "户主"))
            members.append(self._person(district_code, rng.choice(SURNAMES), "女", 60, 90, "配偶"))
        elif shape == "couple_child":
            members.append(self._person(district_code, surname, "男", 28, 50, "户主"))
            members.append(self._person(district_code, rng.choice(SURNAMES), "女", 26, 48, "配偶"))
            members.append(self._person(district_code, surname, rng.choice("男女"), 1, 17, "子女"))
        elif shape == "three_gen":
            members.append(self._person(district_code, surname, "男", 35, 50, "户主"))
            members.append(self._person(district_code, rng.choice(SURNAMES), "女", 33, 48, "配偶"))
            members.append(self._person(district_code, surname, rng.choice("男女"), 3, 16, "子女"))
            members.append(self._person(district_code, surname, rng.choice("男女"), 66, 90, "父母"))
        else:
            members.append(self._person(district_code, surname, rng.choice("男女"), 22, 40, "户主", alone=True))
        income = rng.choice([800, 1200, 1500, 2000, 2600, 3500, 5000, 8000, 12000, 20000]) * max(1, len(members) // 2)
        savings = rng.choice([0, 5000, 20000, 60000, 150000, 400000])
        road = rng.choice(ROADS)
        address = f"{road}{rng.randint(1, 1800)}弄{rng.randint(1, 60)}号{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        return Family(address, income, savings, rng.choice([0, 0, 0, 1]), tuple(members))

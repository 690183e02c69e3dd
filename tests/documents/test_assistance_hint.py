"""The assistance application's confirmation tells the resident which documents they can photograph."""

from __future__ import annotations

from actions.assistance.apply import documents_to_bring


def test_the_documents_to_bring_end_with_those_to_photograph():
    case = {
        "documents": ["申请人身份证、户口本", "签字的《家庭经济状况核对授权书》"],
        "required_documents": [{"kind": "id_card", "name": "身份证"}, {"kind": "hukou", "name": "户口本"}],
    }
    assert documents_to_bring(case).splitlines() == [
        "1. 申请人身份证、户口本",
        "2. 签字的《家庭经济状况核对授权书》",
        "其中身份证、户口本可以直接拍照发给我，我帮您放进这份申请里，发之前不用再说别的。",
    ]
    assert documents_to_bring({"documents": ["本人身份证"]}) == "1. 本人身份证"  # a back-office without them

"""Type-ahead suggestions (/search/suggest): where each one leads (a case opens the case page, a
unit its public page, a theme the search filtered by that theme), what is never suggested
(unpublished cases, units not yet verified), titles found by their words in any order, and input
that must give an empty list instead of an error. The browser side is tests/browser/test_search_suggest_flow.py."""
from __future__ import annotations

import re

import pytest

UNIT = "阳光社工服务中心"
PUBLISHED = "社区居家养老服务站的三年"
PUNCTUATED = "“五社联动”！——100%覆盖_试点"  # the punctuation queries below are in this title
UNPUBLISHED = ("draft", "submitted", "in_review", "returned", "archived")


@pytest.fixture
def world(snapshot, factory):
    def build():
        _uid, email = factory.user()
        unit = factory.org(email, name=UNIT)
        factory.org(factory.user()[1], name="养老社工筹备小组", status="pending")
        case = factory.case(unit, PUBLISHED, themes=("养老服务",))
        factory.case(unit, PUNCTUATED)
        hidden = {status: factory.case(unit, f"社区养老未公开案例（{status}）", status=status) for status in UNPUBLISHED}
        return {"unit": unit, "case": case, "hidden": hidden}
    return snapshot(build)


def suggest(client, q) -> list[dict]:
    response = client.get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert set(data) == {"suggestions"}
    for item in data["suggestions"]:
        assert {"type", "label", "url"} <= set(item)
    return data["suggestions"]


def of_type(suggestions, kind) -> list[dict]:
    return [s for s in suggestions if s["type"] == kind]


def test_a_case_suggestion_opens_the_case_page(client, world):
    [case] = of_type(suggest(client, "居家养老"), "case")
    assert case == {"type": "case", "label": PUBLISHED, "url": f"/cases/{world['case']}"}
    page = client.get(case["url"])
    assert page.status_code == 200
    assert PUBLISHED in page.get_data(as_text=True)


def test_a_unit_suggestion_opens_the_units_public_page(client, world):
    suggestions = suggest(client, "社工")
    assert of_type(suggestions, "organization") == [
        {"type": "organization", "label": UNIT, "url": f"/orgs/{world['unit']}"}]  # not the pending 养老社工筹备小组
    page = client.get(f"/orgs/{world['unit']}")
    assert page.status_code == 200
    assert UNIT in page.get_data(as_text=True)


def test_a_theme_suggestion_opens_the_search_filtered_by_theme(client, world):
    [theme] = of_type(suggest(client, "养老"), "theme")
    assert theme["label"] == "养老服务"
    assert theme["url"].startswith("/search?")
    page = client.get(theme["url"]).get_data(as_text=True)
    assert "移除筛选：主题 养老服务" in page  # the filter chip
    assert f'href="/cases/{world["case"]}"' in page


def test_unpublished_cases_are_never_suggested(client, world):
    for q in ("养老", "未公开", "社区养老", "养老 社区", "社区 未公开 案例"):
        labels = [s["label"] for s in of_type(suggest(client, q), "case")]
        assert not [label for label in labels if "未公开" in label], q
    assert [s["label"] for s in of_type(suggest(client, "养老"), "case")] == [PUBLISHED]


def test_titles_match_by_their_words_in_any_order(client, world):
    for q in ("社区 养老", "养老社区", "社区的养老", "服务站 三年"):
        assert [s["url"] for s in of_type(suggest(client, q), "case")] == [f"/cases/{world['case']}"], q
    assert of_type(suggest(client, "社区 火星"), "case") == []  # every word must be in the title


def test_at_most_five_cases_and_whole_text_matches_first(client, world, factory):
    whole = [factory.case(world["unit"], f"电梯议事会第{n}期") for n in range(1, 4)]
    words = [factory.case(world["unit"], f"议事推动加装电梯第{n}期") for n in range(1, 4)]
    urls = [s["url"] for s in of_type(suggest(client, "电梯议事"), "case")]
    assert len(urls) == 5
    assert sorted(urls[:3]) == sorted(f"/cases/{i}" for i in whole)
    assert set(urls[3:]) < {f"/cases/{i}" for i in words}


@pytest.mark.parametrize("q", ["！", "——", "”！", "%", "_", "%_\\", "\\", "'\"", "\x00", "\x00\x01\x1b", "  ", "\u200b",
                               "（）【】", "<>", "；：。，"])
def test_punctuation_and_control_characters_give_an_empty_list(client, world, q):
    assert suggest(client, q) == []


def test_control_characters_inside_words_are_ignored(client, world):
    assert [s["label"] for s in of_type(suggest(client, "居家\x00养老"), "case")] == [PUBLISHED]


def test_the_header_search_box_is_a_combobox_with_translated_kinds(client, world):
    page = client.get("/cases").get_data(as_text=True)
    [box] = re.findall(r'<input id="header-q"[^>]*>', page)
    for attribute in ('role="combobox"', 'aria-expanded="false"', 'aria-controls="header-q-suggestions"',
                      'data-kind-theme="主题"', 'data-kind-case="案例"', 'data-kind-organization="单位"'):
        assert attribute in box
    assert re.search(r'<ul id="header-q-suggestions" class="suggest-box" role="listbox"[^>]*hidden>', page)
    # The home page and the search page have their own search box (same combobox), not a second one.
    for path, own in (("/", "home-q"), ("/search?q=养老", "q")):
        other = client.get(path).get_data(as_text=True)
        assert 'id="header-q"' not in other
        assert f'aria-controls="{own}-suggestions"' in other


def test_english_pages_name_the_kinds_in_english(client, world):
    client.set_cookie("lang", "en")
    page = client.get("/cases").get_data(as_text=True)
    [box] = re.findall(r'<input id="header-q"[^>]*>', page)
    assert 'data-kind-case="Case"' in box and 'data-kind-organization="Unit"' in box

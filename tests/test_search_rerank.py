"""The reranking of the best results (portal.search.results.rerank), shared by every backend:
what moves a case up, what never moves, on stored documents alone (no index needed)."""
from __future__ import annotations

import pytest

from portal.search import results
from portal.search.planning import Variant
from portal.search.results import rerank

BOOK = [[Variant(["书屋"], False, None, 1.0), Variant(["图书室"], False, None, 0.7)]]
FILLER = "居民议事会讨论了停车、绿化和照明等事项。" * 10


def stored(title: str, body: str = "", summary: str = "") -> dict:
    return {"title": title, "summary": summary, "body": body}


def test_the_title_and_the_opening_move_a_case_up_a_passing_mention_does_not():
    docs = [stored("邻里节回顾", FILLER + "会后参观书屋。"),      # first by score, the word at the very end
            stored("书屋开放", "书屋向居民开放。" + FILLER),       # named for it
            stored("议事会", "书屋" + FILLER)]                    # says it first thing
    assert rerank(docs, BOOK) == [1, 2, 0]


def test_a_synonym_counts_less_than_the_word_as_typed():
    docs = [stored("图书室开放", "图书室向居民开放。" + FILLER), stored("书屋开放", "书屋向居民开放。" + FILLER)]
    assert rerank(docs, BOOK) == [1, 0]
    assert rerank(list(reversed(docs)), BOOK) == [0, 1]


def test_the_query_words_count_as_a_share_of_them_all():
    both = [[Variant(["电梯"], False, None, 1.0)], [Variant(["菜园"], False, None, 1.0)]]
    docs = [stored("电梯加装", "电梯。" + FILLER), stored("电梯与菜园", "电梯和菜园。" + FILLER)]
    assert rerank(docs, both) == [1, 0]


def test_full_width_latin_and_digits_match_the_folded_query_word():
    hotline = [[Variant(["12345"], False, None, 1.0)]]
    docs = [stored("热线回访", FILLER + "12345"), stored("１２３４５热线", "１２３４５接诉即办。" + FILLER)]
    assert rerank(docs, hotline) == [1, 0]


def test_tiers_keep_their_order_and_cases_past_the_depth_keep_their_place(monkeypatch):
    docs = [stored("议事会", FILLER + "书屋"), stored("议事会二", FILLER + "书屋"), stored("书屋角", "书屋" + FILLER)]
    assert rerank(docs, BOOK) == [2, 0, 1]
    # Partial matches: more words held first, whatever the title says; reordered within a tier.
    assert rerank(docs, BOOK, tiers=[-2, -1, -1]) == [0, 2, 1]
    assert rerank(docs, BOOK, tiers=[-2, -2, -1]) == [0, 1, 2]
    monkeypatch.setattr(results, "RERANK_DEPTH", 2)
    assert rerank(docs, BOOK) == [0, 1, 2]
    monkeypatch.setattr(results, "RERANK_DEPTH", 0)
    assert rerank(list(reversed(docs)), BOOK) == [0, 1, 2]


@pytest.mark.parametrize("docs", [[], [stored("书屋")]])
def test_nothing_to_reorder(docs):
    assert rerank(docs, BOOK) == list(range(len(docs)))
    assert rerank([stored("a"), stored("b")], []) == [0, 1]  # no query words (a browse): as given

"""
The word-level diff a reviewer reads between a live value and a proposed one (`curation/diff.py`).
"""

import random

import pytest

from curation import limits
from curation.diff import MAX_TOKENS, word_diff


def old_of(ops):
    return "".join(text for op, text in ops if op in ("equal", "delete"))


def new_of(ops):
    return "".join(text for op, text in ops if op in ("equal", "insert"))


def assert_merged(ops):
    kinds = [op for op, _ in ops]
    assert all(a != b for a, b in zip(kinds, kinds[1:], strict=False)), kinds
    assert all(text for _, text in ops), ops


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("The fund raised $3bn in 2023.", "The fund raised $4bn in 2023."),
        ("a rise in exports", "Overall, a rise in exports"),
        ("a rise in exports", "a rise in exports last year"),
        ("a sharp rise in exports", "a rise in exports"),
        ("Growth (estimated): 3%.", "Growth [reported]; 3%!"),
        ("HK$3bn", "HK$3.5bn"),
        ("我们研究人工智能。", "我们研究机器学习。"),
        ("人工智能 grew", "人工智能 shrank"),
        ("line one\nline two\n", "line one\n\nline 2\n"),
        ("", "new text"),
        ("old text", ""),
    ],
)
def test_the_ops_rebuild_both_texts(old, new):
    ops = word_diff(old, new)

    assert old_of(ops) == old
    assert new_of(ops) == new
    assert_merged(ops)
    assert any(op != "equal" for op, _ in ops)


def test_a_replaced_word_is_shown_whole():
    assert word_diff("the cat sat", "the car sat") == [
        ("equal", "the "),
        ("delete", "cat"),
        ("insert", "car"),
        ("equal", " sat"),
    ]


def test_a_lengthened_word_is_not_split_by_the_common_start():
    assert word_diff("cat", "cats") == [("delete", "cat"), ("insert", "cats")]
    assert word_diff("cats", "cat") == [("delete", "cats"), ("insert", "cat")]


def test_a_figure_with_a_currency_sign_changes_as_one_word():
    assert word_diff("HK$3bn", "HK$3.5bn") == [
        ("equal", "HK$"),
        ("delete", "3bn"),
        ("insert", "3.5bn"),
    ]


def test_chinese_text_is_a_run_of_word_characters():
    assert word_diff("我们研究人工智能。", "我们研究机器学习。") == [
        ("delete", "我们研究人工智能"),
        ("insert", "我们研究机器学习"),
        ("equal", "。"),
    ]


def test_the_common_end_keeps_whole_words_and_whole_runs_of_white_space():
    assert word_diff("overall growth", "all growth") == [
        ("delete", "overall"),
        ("insert", "all"),
        ("equal", " growth"),
    ]
    assert word_diff("a  b", "a b") == [
        ("equal", "a"),
        ("delete", "  "),
        ("insert", " "),
        ("equal", "b"),
    ]


def test_insertions_at_the_start_and_end_are_single_ops():
    assert word_diff("rise", "A rise") == [("insert", "A "), ("equal", "rise")]
    assert word_diff("rise", "rise, again") == [("equal", "rise"), ("insert", ", again")]


def test_a_deleted_word_and_its_space_go_together():
    assert word_diff("a sharp rise", "a rise") == [
        ("equal", "a "),
        ("delete", "sharp "),
        ("equal", "rise"),
    ]


def test_adjacent_changes_are_merged_into_one_piece_per_op():
    ops = word_diff("one two three four", "uno dos tres cuatro")

    assert_merged(ops)
    assert old_of(ops) == "one two three four"
    assert new_of(ops) == "uno dos tres cuatro"


def test_random_edits_rebuild_both_texts_with_merged_ops():
    rng = random.Random(7)
    words = ["the", "fund", "HK$3bn", "人工智能", ",", ".", " ", "  ", "\n", "rise", "rises"]
    for _ in range(300):
        old = "".join(rng.choice(words) for _ in range(rng.randrange(12)))
        new = "".join(rng.choice(words) for _ in range(rng.randrange(12)))
        ops = word_diff(old, new)
        assert (old_of(ops), new_of(ops)) == (old, new)
        assert_merged(ops)


def test_equal_texts_are_one_equal_piece():
    assert word_diff("No change here.", "No change here.") == [("equal", "No change here.")]
    assert word_diff("", "") == []


def test_none_is_an_empty_text():
    assert word_diff(None, None) == []
    assert word_diff(None, "added") == [("insert", "added")]
    assert word_diff("removed", None) == [("delete", "removed")]


def test_a_middle_of_max_tokens_is_still_compared_word_by_word():
    pairs = MAX_TOKENS // 4
    # Each side: "a b a b ... a b" against "b a b a ... b a", 4 * pairs - 1 tokens; the dashes
    # (one token each) bring the old side to exactly MAX_TOKENS.
    dashes = "-" * (MAX_TOKENS - (4 * pairs - 1))
    old, new = dashes + " ".join(["a", "b"] * pairs), " ".join(["b", "a"] * pairs)

    ops = word_diff(old, new)

    assert any(op == "equal" and len(text) > 100 for op, text in ops)
    assert (old_of(ops), new_of(ops)) == (old, new)


def test_a_middle_of_more_than_max_tokens_is_one_deletion_and_one_insertion():
    pairs = MAX_TOKENS // 4
    dashes = "-" * (MAX_TOKENS - (4 * pairs - 1) + 1)
    old, new = dashes + " ".join(["a", "b"] * pairs), " ".join(["b", "a"] * pairs)

    assert word_diff(old, new) == [("delete", old), ("insert", new)]


def test_texts_at_the_size_limit_that_differ_throughout_are_not_compared_word_by_word():
    start, end = "Common opening. ", " common close."
    # The two middles share only the word "shared", which word-by-word comparison would find.
    half = (limits.TEXT - len(start) - len(end) - len(" shared ")) // 2
    old_middle = ("x." * limits.TEXT)[:half] + " shared " + ("x." * limits.TEXT)[:half]
    new_middle = ("y," * limits.TEXT)[:half] + " shared " + ("y," * limits.TEXT)[:half]
    old, new = start + old_middle + end, start + new_middle + end
    assert len(old) == len(new) >= limits.TEXT - 1

    assert word_diff(old, new) == [
        ("equal", start),
        ("delete", old_middle),
        ("insert", new_middle),
        ("equal", end),
    ]


def test_context_keeps_characters_next_to_each_change_and_elides_the_rest():
    old = "A" * 50 + " sat " + "B" * 50 + " rose " + "C" * 50
    new = "A" * 50 + " stood " + "B" * 50 + " fell " + "C" * 50

    ops = word_diff(old, new, context=10)

    assert [op for op, _ in ops] == [
        "gap",
        "equal",
        "delete",
        "insert",
        "equal",
        "gap",
        "equal",
        "delete",
        "insert",
        "equal",
        "gap",
    ]
    equal_texts = [text for op, text in ops if op == "equal"]
    assert equal_texts == ["A" * 9 + " ", " " + "B" * 9, "B" * 9 + " ", " " + "C" * 9]
    assert all(text == "…" for op, text in ops if op == "gap")


def test_context_leaves_short_unchanged_stretches_whole():
    old, new = "the cat sat on the mat", "the dog sat on the mat"

    # The unchanged end, " sat on the mat", is 15 characters: exactly 2 * 7 + 1.
    assert word_diff(old, new, context=7) == [
        ("equal", "the "),
        ("delete", "cat"),
        ("insert", "dog"),
        ("equal", " sat on the mat"),
    ]
    assert word_diff(old, new, context=6)[-2:] == [("equal", " sat o"), ("gap", "…")]


def test_context_shows_a_window_onto_a_long_source_text():
    text = "word " * 100_000
    changed = text[:250_000] + "WORD" + text[250_004:]

    ops = word_diff(text, changed, context=20)

    assert ops == [
        ("gap", "…"),
        ("equal", text[250_000 - 20 : 250_000]),
        ("delete", "word"),
        ("insert", "WORD"),
        ("equal", text[250_004 : 250_004 + 20]),
        ("gap", "…"),
    ]


def test_context_shows_an_unchanged_long_text_as_one_gap():
    text = "word " * 1000

    assert word_diff(text, text, context=20) == [("gap", "…")]
    assert word_diff("short", "short", context=20) == [("equal", "short")]

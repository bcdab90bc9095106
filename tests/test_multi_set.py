"""The hand-made multi-answer set (``tests/multi``) stays consistent: every evidence quoted once, every answer
in its paragraph, traps whose asked person is not the speaker, metadata equal to the front matter."""

from tests.multi import check_set


def test_the_multi_answer_set_is_consistent(capsys) -> None:
    assert check_set.main() == 0, capsys.readouterr().out

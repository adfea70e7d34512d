from adapters.console import ConsoleAdapter
from tests.conftest import say


def test_decide_then_list(console: ConsoleAdapter) -> None:
    out = say(console, "/decide we launch on 3 March #launch", "/decisions")
    assert "Decision #1" in out
    assert "• #1 · we launch on 3 March #launch" in out

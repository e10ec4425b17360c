import pytest

from handler.contract.run_state import is_finished, run_state

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("files", "state"),
    [
        ({"run.json"}, "accepted"),
        ({"run.json", "queued"}, "planning"),
        ({"run.json", "queued", "plan-cursor.json"}, "planning"),
        ({"run.json", "queued", "plan-cursor.json", "plan.json"}, "running"),
        ({"run.json", "queued", "plan.json", "final.json"}, "answered"),
        ({"run.json", "queued", "cancelled"}, "cancelled"),
        ({"run.json", "queued", "plan.json", "cancelled", "final.json"}, "cancelled"),
    ],
)
def test_the_state_is_read_off_which_records_exist(files: set[str], state: str) -> None:
    assert run_state(files) == state
    assert is_finished(files) == ("final.json" in files)

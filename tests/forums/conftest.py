import pytest
from django.test import override_settings

# The tests post quickly and often: no waits between posts unless a test asks for them.
RELAXED = {
    "FORUMS_LIMIT_SECONDS_BETWEEN": "0,0,0,0",
    "FORUMS_LIMIT_FIRST_DAY_TOPICS": "100,100,100,100",
    "FORUMS_LIMIT_FIRST_DAY_REPLIES": "100,100,100,100",
}


@pytest.fixture(autouse=True)
def _relaxed_limits(request):
    if request.node.get_closest_marker("limits"):
        yield
        return
    with override_settings(**RELAXED):
        yield

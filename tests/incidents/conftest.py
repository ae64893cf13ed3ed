"""The customers, contacts and subscribers of the audience tests, for the desk's too."""

from tests.notify.test_audience_api import people  # noqa: F401 - a fixture

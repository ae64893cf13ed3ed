"""The hook roles hang on: every console page names the action it is (the role table decides),
except signing in and out."""

from __future__ import annotations

from tidings.console import urls
from tidings.staff import rules

OPEN = {"console-login", "console-logout"}


def test_every_console_view_names_an_action_the_role_table_knows():
    for pattern in urls.urlpatterns:
        if pattern.name in OPEN:
            continue
        action = getattr(pattern.callback, "console_action", None)
        assert action in rules.PERMISSIONS, f"{pattern.name} is not a @console_view"

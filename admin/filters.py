"""Number filters of the back office's panels that take only what the database can compare: an integer
within ±(2^53 − 1), as every id and count of the service (actions.validation). Anything else typed in
(`1e30`, twenty digits) is an invalid filter value, which Flask-Admin says and ignores, rather than a
number the database driver cannot bind (a 500)."""
from __future__ import annotations

from flask_admin.contrib.sqla import filters

from actions.errors import InvalidInput
from actions.validation import check_int


class WithinJsonIntegers:
    def clean(self, value: str) -> int:
        try:
            return check_int(value, "value")
        except InvalidInput as error:
            raise ValueError(error.message) from None


class IntEqualFilter(WithinJsonIntegers, filters.IntEqualFilter):
    pass


class IntGreaterFilter(WithinJsonIntegers, filters.IntGreaterFilter):
    pass

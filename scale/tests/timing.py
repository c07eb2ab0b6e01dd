"""Time limits in tests: what a user is promised (a configured deadline) plus a margin for a busy machine.

The margin is generous on purpose: several test runs share two cores here, and CI machines are no faster. A
fault a bound is meant to catch is made to last far longer than deadline + MARGIN, so a broken bound still
fails clearly.
"""

MARGIN = 5.0

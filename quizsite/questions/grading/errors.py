"""The one exception of the grading engine: an author's or programmer's mistake, never a learner's."""


class SpecError(Exception):
    """A spec that cannot be graded (bad spec, missing run variable); `.errors` lists every problem."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


class InvalidResponse(ValueError):
    """A learner's response that cannot be read; str(error) is the message shown to them."""

"""counter domain: what the counter terminal shows beside its buttons, and 邀请评价."""

from django.core.exceptions import ValidationError


def field_error(field: str, message, code: str) -> ValidationError:
    """A refusal on one field that keeps its code (a plain dict of messages would lose it)."""
    return ValidationError({field: ValidationError(message, code=code)})

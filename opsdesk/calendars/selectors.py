from opsdesk.calendars.models import Calendar
from opsdesk.core.errors import ValidationFailed


def calendar_by_name(name: str, *, field: str = "calendar") -> Calendar:
    """Calendars are provider-wide reference data, visible to everyone who can see an organisation."""
    calendar = Calendar.objects.filter(name=name).first()
    if calendar is None:
        known = ", ".join(Calendar.objects.values_list("name", flat=True))
        raise ValidationFailed.field(field, f"Unknown calendar '{name}'. Known calendars: {known}.")
    return calendar

"""The records browser's search and filters: one form, with the fields each section knows."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.models import Reserve
from patrol.reserves.selectors import User, teams_for_user
from threats.records.browser.selectors import Section, patrol_choices, valley_names
from threats.records.selectors import species_list

ANY = ("", gettext_lazy("Any"))


class BrowseFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=None, required=False, empty_label=ANY[1])
    patrol = forms.TypedChoiceField(label=gettext_lazy("Patrol"), required=False, coerce=int, empty_value=None)
    valley = forms.ChoiceField(label=gettext_lazy("Valley"), required=False)
    species = forms.ChoiceField(label=gettext_lazy("Species"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, data: Any, *, section: Section, user: User, reserve: Reserve):
        super().__init__(data)
        self.user, self.reserve = user, reserve
        for name in [n for n in self.fields if n != "q" and n not in section.filters]:
            del self.fields[name]
        if "team" in self.fields:
            self.fields["team"].queryset = teams_for_user(user=user).filter(reserve=reserve).order_by("name")
        if "patrol" in self.fields:
            # The list offers the latest patrols; any patrol the user may see is accepted (clean_patrol).
            self.fields["patrol"].choices = [ANY, *patrol_choices(user=user, reserve=reserve)]
            self.fields["patrol"].valid_value = lambda value: True
        if "valley" in self.fields:
            self.fields["valley"].choices = [ANY, *((name, name) for name in valley_names(reserve=reserve))]
        if "species" in self.fields:
            self.fields["species"].choices = [ANY, *((s.scientific_name, s.common_name) for s in species_list())]
        for name in ("state", "kind"):
            if name in self.fields:
                self.fields[name].choices = [ANY, *section.choices(name)]

    def clean_patrol(self) -> Any:
        patrol_id = self.cleaned_data.get("patrol")
        if patrol_id is None:
            return None
        patrol = patrols_for_user(user=self.user).filter(reserve=self.reserve, pk=patrol_id).first()
        if patrol is None:
            raise forms.ValidationError(_("No such patrol."))
        return patrol

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end must not be before the start."))
        return cleaned

    def active(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)

"""Forms of the calendar page: every date and time is the reserve's local one. Inputs of type date and
time take ISO values whatever the page's language, hence the explicit formats."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patrol.reserves.models import Post, Reserve, Team


class _ReserveForm(forms.Form):
    def __init__(self, *args, reserve: Reserve, **kwargs):
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.filter(reserve=reserve).order_by("name")
        if "post" in self.fields:
            self.fields["post"].queryset = Post.objects.filter(reserve=reserve).order_by("name")


class PatrolCreateForm(_ReserveForm):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"))
    post = forms.ModelChoiceField(queryset=Post.objects.none(), label=_("Post"), required=False)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    start = forms.TimeField(label=_("Start (reserve time)"), initial="08:00",
                            widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))  # fmt: skip
    hours = forms.FloatField(label=_("Hours"), min_value=0.5, max_value=16, initial=8)


class MoveForm(_ReserveForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"), required=False)


class AutofillForm(forms.Form):
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=62, initial=30)
    hours = forms.FloatField(label=_("Hours per patrol"), min_value=0.5, max_value=16, initial=8)
    max_patrol_days = forms.IntegerField(label=_("At most this many patrol-days"), min_value=1, required=False)
    seed = forms.IntegerField(label=_("Random seed (optional)"), min_value=0, max_value=2**31 - 1, required=False)

"""Manager UI: upload a GPX track log from a handheld unit as a patrol's actual track."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patrol.patrols.gpx import GpxError, patrol_track_import
from patrol.patrols.selectors import patrols_for_user
from patrol.reserves.context_processors import current_reserve

MAX_GPX_BYTES = 20 * 1024 * 1024


class GpxUploadForm(forms.Form):
    patrol = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Patrol"))
    file = forms.FileField(label=gettext_lazy("GPX file"), widget=forms.ClearableFileInput(attrs={"accept": ".gpx"}))

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patrol"].queryset = queryset

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_GPX_BYTES:
            raise forms.ValidationError(_("A GPX file may have at most 20 MB."))
        return upload


@login_required
def gpx_upload(request: HttpRequest) -> HttpResponse:
    reserve = current_reserve(request).get("current_reserve")
    patrols = patrols_for_user(user=request.user).filter(reserve=reserve).order_by("-planned_start", "-id")
    form = GpxUploadForm(request.POST or None, request.FILES or None, queryset=patrols)
    if request.method == "POST" and form.is_valid():
        patrol = form.cleaned_data["patrol"]
        try:
            parsed = patrol_track_import(actor=request.user, patrol=patrol, content=form.cleaned_data["file"].read())
        except GpxError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Track imported into %(patrol)s: %(n)d points in %(s)d segment(s).")
                             % {"patrol": patrol, "n": parsed.points, "s": parsed.segments})  # fmt: skip
            for warning in parsed.warnings:
                messages.warning(request, warning)
            return redirect("patrol-gpx-upload")
    return render(request, "patrol/gpx_upload.html", {"form": form}, status=400 if form.errors else 200)

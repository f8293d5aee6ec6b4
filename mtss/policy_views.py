"""The district policy in the browser: view, edit with validation, compare versions."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mtss.decorators import district_member
from mtss.permissions import allowed
from mtss.policy import PolicyValidationError, preset_data, preset_names, validate_policy
from mtss.policy_diff import policy_diff
from mtss.policy_form import (
    ListActionError,
    SectionForm,
    apply_list_action,
    draft_of,
    error_messages,
    sections,
    with_draft,
)
from mtss.selectors import policy_current, policy_version_get, policy_versions
from mtss.services import policy_version_create


class PolicyForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Policy document (JSON)"), widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"})
    )
    effective_from = forms.DateField(
        label=gettext_lazy("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("What changed and why"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_document(self):
        raw = self.cleaned_data["document"]
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not valid JSON at line %(line)s, column %(col)s: %(msg)s")
                % {"line": error.lineno, "col": error.colno, "msg": error.msg}
            ) from None
        return data


def _pretty(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@district_member()
def policy_overview(request):
    versions = list(policy_versions(district=request.district))
    current = policy_current(district=request.district)
    return render(
        request,
        "mtss/policy_overview.html",
        {
            "versions": versions,
            "current": current,
            "can_edit": allowed(request.membership, "may_edit_policy"),
        },
    )


@district_member()
def policy_version_detail(request, version_id: int):
    version = policy_version_get(district=request.district, version_id=version_id)
    return render(request, "mtss/policy_version.html", {"version": version, "pretty": _pretty(version.document)})


@district_member("may_edit_policy")
def policy_edit(request):
    current = policy_current(district=request.district) or policy_versions(district=request.district).first()
    errors = []
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                version = policy_version_create(
                    district=request.district,
                    actor=request.user,
                    data=form.cleaned_data["document"],
                    effective_from=form.cleaned_data["effective_from"],
                    note=form.cleaned_data["note"],
                )
            except PolicyValidationError as error:
                # The textarea keeps what was typed; each error says which field in words.
                errors = [
                    {"path": e.path, "label": label, "message": message}
                    for e, (_loc, label, message) in zip(
                        error.errors, error_messages(error.errors, form.cleaned_data["document"]), strict=True
                    )
                ]
            else:
                return redirect("policy_version", version_id=version.pk)
    else:
        preset = request.GET.get("preset")
        if preset in preset_names():
            initial_doc = preset_data(preset)
        else:
            initial_doc = current.document if current else preset_data(preset_names()[0])
        form = PolicyForm(initial={"document": _pretty(initial_doc), "effective_from": timezone.localdate()})
    return render(
        request,
        "mtss/policy_edit.html",
        {
            "form": form,
            "errors": errors,
            "current": current,
            "presets": preset_names(),
            "sections": sections(),
        },
    )


@district_member()
def policy_compare(request):
    versions = list(policy_versions(district=request.district))
    by_id = {v.pk: v for v in versions}

    def _pick(name, fallback):
        value = request.GET.get(name, "")
        return by_id.get(int(value)) if value.isdigit() else fallback

    newer = _pick("b", versions[0] if versions else None)
    older = _pick("a", versions[1] if len(versions) > 1 else newer)
    changes = policy_diff(older.document, newer.document) if older and newer else []
    return render(
        request,
        "mtss/policy_compare.html",
        {
            "versions": versions,
            "older": older,
            "newer": newer,
            "changes": changes,
        },
    )


class SaveSectionForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("What changed and why"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@district_member("may_edit_policy")
def policy_section_edit(request, section: str):
    """One section of the policy as a form generated from the schema (mtss/policy_form.py).

    "Review the changes" shows the diff against the current version; "Save" creates a new
    version through policy_version_create, the same validation as the JSON editor.
    "Add another ..." and "Remove this ..." change the section's lists: the page comes back with
    the working copy (typed values kept, in the hidden ``draft``) and nothing is saved.
    """
    titles = dict(sections())
    if section not in titles:
        raise Http404
    current = policy_current(district=request.district) or policy_versions(district=request.district).first()
    if current is None:
        return redirect("policy_edit")
    editor = SectionForm(with_draft(current.document, section, request.POST.get("draft")), section)
    changes = None
    status = 200
    list_action = request.POST.get("list_action", "") if request.method == "POST" else ""
    if list_action:
        meta = SaveSectionForm(request.POST)
        new = editor.bind(request.POST)
        if new is None:
            status = 400  # a value that does not read: shown beside its field, the list unchanged
        else:
            try:
                new, change = apply_list_action(new, section, list_action)
            except ListActionError as error:
                editor.errors.append((_("The list"), str(error)))
                status = 400
            else:
                editor = SectionForm(new, section, added=change.loc)
                words = {"item": change.item, "list": change.within}
                done = (
                    _("Added %(item)s at the end of %(list)s; fill it in.") % words
                    if change.kind == "added"
                    else _("Removed %(item)s.") % words
                )
                messages.info(request, done + " " + _("Nothing is saved until you press “Save as a new version”."))
    elif request.method == "POST":
        meta = SaveSectionForm(request.POST)
        new = editor.bind(request.POST)
        if new is not None:
            try:
                validate_policy(new)
            except PolicyValidationError as error:
                editor.attach(error.errors, new)
        if editor.has_errors or not meta.is_valid():
            status = 400
        elif request.POST.get("action") == "save":
            version = policy_version_create(
                district=request.district,
                actor=request.user,
                data=new,
                effective_from=meta.cleaned_data["effective_from"],
                note=meta.cleaned_data["note"],
            )
            return redirect("policy_version", version_id=version.pk)
        else:
            changes = policy_diff(current.document, new)
    else:
        meta = SaveSectionForm(initial={"effective_from": timezone.localdate()})
    return render(
        request,
        "mtss/policy_section.html",
        {
            "editor": editor,
            "meta": meta,
            "current": current,
            "sections": sections(),
            "section": section,
            "changes": changes,
            "draft": draft_of(editor.document, section),
        },
        status=status,
    )

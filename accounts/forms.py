from django import forms


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label="Code", max_length=16, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
    )


class EnrolmentConfirmForm(forms.Form):
    token = forms.CharField(
        label="Code from the app", max_length=8, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

# Consent that governs sharing (issue #18): refusals the store gives, and the pages' words.
consent-refused-missing = The person has not consented to this sharing: record her consent first, or a supervisor may override it for a reason the law allows.
consent-refused-expired = The person's consent to this sharing has expired: ask her again and record it.
consent-refused-not-yet-valid = The person's consent to this sharing is not valid yet.
consent-refused-withdrawn = The person withdrew her consent to this sharing.
consent-until-before-from = A consent ends on or after the day it begins.
consent-referral-needs-recipient = A consent to a referral names the provider or the kind of provider.
consent-recipient-only-referral = Only a consent to a referral names a provider.
consent-override-needs-reason = An override needs the reason the law allows and a note of what makes it so.
consent-already-withdrawn = This consent was already withdrawn.
consent-person-not-household = A consent is recorded for the case's person or a member of their household.
consent-provider-unknown = There is no provider { $provider }.
consent-disclosure-purpose = Information is shared here with the police or health only.
consent-disclosure-recipient = Name whom the information is shared with.

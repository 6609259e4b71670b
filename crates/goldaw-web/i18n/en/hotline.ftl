# The hotline's call log (issue #18): refusals the store gives, and the pages' words.
hotline-call-back-needs-time = A call back was agreed: write when the line calls back.
hotline-emergency-needs-consent = Passing the emergency to the police or health needs the caller's consent: ask and record it, or choose another outcome.
hotline-already-a-case = This call already opened a case.
hotline-follow-up-other-line = A follow-up is linked to an earlier call of the same line.
hotline-bad-duration = A call lasts from 0 seconds to one day: check its length.
hotline-line-code-invalid = “{ $code }” is not a line code: capital letters, digits and hyphens, at most 32.
hotline-line-name-invalid = Give the line a name of at most 200 characters.
hotline-line-exists = There is already a line { $code }.
hotline-member-role = Only hotline staff and supervisors work on a line.
hotline-caller-code-invalid = A caller's code name has at most 40 letters and no control characters.
hotline-received-future = A call is logged when it came in: that time lies in the future.
hotline-case-sex-needed = Record the person's sex to open a case for them.

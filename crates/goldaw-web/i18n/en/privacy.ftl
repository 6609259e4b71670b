# What a reader without the sensitive permission sees of a sensitive referral, and what a provider
# sees of a cancelled one (goldaw_core::privacy).
privacy-referral-restricted = (sensitive referral: the name and the note need the sensitive-case permission)
privacy-referral-cancelled = (cancelled by the referring social worker)

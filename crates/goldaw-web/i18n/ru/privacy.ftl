# What a reader without the sensitive permission sees of a sensitive referral, and what a provider
# sees of a cancelled one (goldaw_core::privacy).
privacy-referral-restricted = (чувствительное направление: имя и пояснение видны только с правом на чувствительные случаи)
privacy-referral-cancelled = (отменено направившим социальным работником)

# What a reader without the sensitive permission sees of a sensitive referral, and what a provider
# sees of a cancelled one (goldaw_core::privacy).
privacy-referral-restricted = (duýgur ugrukdyrma: ady we belligi diňe duýgur işlere rugsady bolanlara görünýär)
privacy-referral-cancelled = (ugrukdyran sosial işgär tarapyndan ýatyryldy)
